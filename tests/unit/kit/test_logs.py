"""Log lines carry the request id of the work in progress."""

import json
import logging

from frequenta_kit import request_ids
from frequenta_kit.logs import JsonFormatter, TextFormatter


def _record(message: str) -> logging.LogRecord:
    return logging.LogRecord("frequenta.test", logging.INFO, __file__, 1, message, None, None)


def test_json_lines_have_the_request_id_while_one_is_bound():
    formatter = JsonFormatter()
    with request_ids.bound("req-1"):
        inside = json.loads(formatter.format(_record("inside")))
    outside = json.loads(formatter.format(_record("outside")))
    assert inside["request_id"] == "req-1" and inside["msg"] == "inside"
    assert "request_id" not in outside


def test_text_lines_end_with_the_request_id():
    formatter = TextFormatter("%(levelname)s %(message)s")
    with request_ids.bound("req-2"):
        assert formatter.format(_record("hello")) == "INFO hello [request_id=req-2]"
    assert formatter.format(_record("hello")) == "INFO hello"


def test_acceptable_ids():
    assert request_ids.acceptable("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    assert request_ids.acceptable("desk-01:0042")
    for bad in ("", "a b", "x" * 129, "tab\there", 'quote"d', "ana@example.com"):
        assert not request_ids.acceptable(bad), bad
