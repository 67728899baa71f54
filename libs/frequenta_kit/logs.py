"""Logging set-up: one call per process, plain text for people or JSON lines for collectors."""

import json
import logging
import sys
from datetime import UTC, datetime

from frequenta_kit import request_ids


class JsonFormatter(logging.Formatter):
    """One JSON object per line with time, level, logger, message, the request id of the work
    in progress when there is one (:mod:`frequenta_kit.request_ids`), and the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = request_ids.current()
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain text for people; the request id, when there is one, in brackets at the end."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        text = super().formatMessage(record)
        request_id = request_ids.current()
        return f"{text} [request_id={request_id}]" if request_id else text


def configure_logging(
    level: str = "INFO", as_json: bool = False, *, access_log: bool = True
) -> None:
    """Logs to stdout, as text or JSON lines, from ``level`` on; ``access_log`` False silences
    the gRPC servers' line per call (logger ``frequenta.grpc.access``)."""
    handler = logging.StreamHandler(sys.stdout)
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("frequenta.grpc.access").disabled = not access_log
