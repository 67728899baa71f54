"""The daily-reports work message: what the worker accepts and what it refuses outright."""

import json
import uuid
from datetime import date

import pytest

from frequenta_attendance.reports import messages

JOB = b"00000000-0000-0000-0000-000000000001"


def test_a_build_request_survives_the_round_trip():
    request = messages.BuildRequest(uuid.uuid4(), date(2026, 3, 2))
    body = messages.encode(request)
    assert json.loads(body) == {
        "schema_version": 1,
        "job_id": str(request.job_id),
        "date": "2026-03-02",
    }
    assert messages.decode(body) == request


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'{"schema_version": 2, "job_id": "%s", "date": "2026-03-02"}' % JOB,
        b'{"schema_version": 1, "date": "2026-03-02"}',
        b'{"schema_version": 1, "job_id": "nope", "date": "2026-03-02"}',
        b'{"schema_version": 1, "job_id": "%s", "date": "2026-02-30"}' % JOB,
    ],
)
def test_malformed_bodies_are_refused(body):
    with pytest.raises(messages.MalformedMessage):
        messages.decode(body)
