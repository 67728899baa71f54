"""The work message that asks for one report build, on the ``daily-reports`` queue.

Body (JSON, ``application/json``): ``{"schema_version": 1, "job_id": "<uuid>",
"date": "YYYY-MM-DD"}``. The AMQP message id is the job id: the worker's idempotency key.
"""

import json
import uuid
from dataclasses import dataclass
from datetime import date

QUEUE = "daily-reports"
MESSAGE_TYPE = "report.daily.build"
CONTENT_TYPE = "application/json"
SCHEMA_VERSION = 1


class MalformedMessage(ValueError):
    """The body is not a build request this worker understands."""


@dataclass(frozen=True)
class BuildRequest:
    job_id: uuid.UUID
    day: date


def encode(request: BuildRequest) -> bytes:
    body = {
        "schema_version": SCHEMA_VERSION,
        "job_id": str(request.job_id),
        "date": request.day.isoformat(),
    }
    return json.dumps(body, separators=(",", ":")).encode()


def decode(body: bytes) -> BuildRequest:
    try:
        fields = json.loads(body)
        if not isinstance(fields, dict):
            raise MalformedMessage("the body is not a JSON object")
        if fields.get("schema_version") != SCHEMA_VERSION:
            raise MalformedMessage(f"unknown schema_version {fields.get('schema_version')!r}")
        return BuildRequest(
            job_id=uuid.UUID(str(fields["job_id"])), day=date.fromisoformat(str(fields["date"]))
        )
    except MalformedMessage:
        raise
    except (ValueError, KeyError, TypeError) as error:
        raise MalformedMessage(f"not a daily report build request: {error!r}") from None
