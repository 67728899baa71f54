"""Bulk imports of check-ins (docs/bulk-imports.md): the job's states, the rows as they travel
and as they are decided, and the outcome of one row.

A batch is cut into chunks of rows grouped by member; each row keeps its 1-based number in the
original batch, which is what rejections report.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Rows one batch may hold, and rejected rows a job keeps (the first ones, by row number).
MAX_BATCH_ROWS = 100_000
MAX_REJECTED_ROWS_KEPT = 100


class JobState(StrEnum):
    """Where an import job stands. Values are the codes stored in ``import_jobs.state``."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row as the client sent it, not yet checked: what a chunk carries. Instants are whole
    microseconds since 1970-01-01T00:00Z (None when not given); empty text means not given."""

    member_id: int
    entered_us: int | None
    exited_us: int | None = None
    device_id: str = ""
    idempotency_key: str = ""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A row whose own values passed every check (shape, times); the member's state and the
    stored visits are checked later, under the member's lock."""

    row_number: int
    member_id: int
    entered_at: datetime
    exited_at: datetime | None
    device_id: str | None
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a row was refused: the same codes as a single check-in (docs/rules.md)."""

    row_number: int
    code: str
    message: str
