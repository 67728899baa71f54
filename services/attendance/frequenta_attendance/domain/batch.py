"""Bulk imports of check-ins (docs/bulk-imports.md): the job's states, the rows as they travel
and as they are decided, and the outcome of one row.

A batch is cut into chunks of rows grouped by member; each row keeps its 1-based number in the
original batch, which is what rejections report.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

# Rows one batch may hold, and rejected rows a job keeps (the first ones, by row number).
MAX_BATCH_ROWS = 100_000
MAX_REJECTED_ROWS_KEPT = 100


class JobState(StrEnum):
    """Where an import job stands. Values are the codes stored in ``import_jobs.state``."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RawRow(NamedTuple):
    """A row as the client sent it, not yet checked: what a chunk carries. Instants are whole
    microseconds since 1970-01-01T00:00Z (None when not given); empty text means not given.
    A named tuple: a batch makes 100,000 of them, and a tuple is built several times faster
    than a frozen dataclass."""

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


@dataclass(slots=True)
class CheckedRows:
    """The rows of a chunk that passed their own checks, column by column, in row order:
    what the worker decides and stores without an object per row. Instants stay whole
    microseconds since 1970-01-01T00:00Z; text is cleaned (None when not given)."""

    numbers: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    entered_us: list[int] = field(default_factory=list)
    exited_us: list[int | None] = field(default_factory=list)
    devices: list[str | None] = field(default_factory=list)
    keys: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.numbers)

    def append(
        self,
        number: int,
        member_id: int,
        entered_us: int,
        exited_us: int | None,
        device_id: str | None,
        key: str | None,
    ) -> None:
        self.numbers.append(number)
        self.members.append(member_id)
        self.entered_us.append(entered_us)
        self.exited_us.append(exited_us)
        self.devices.append(device_id)
        self.keys.append(key)

    def import_row(self, index: int) -> ImportRow:
        """Row ``index`` as the full plan (domain.batch_plan) takes it."""
        exited = self.exited_us[index]
        return ImportRow(
            self.numbers[index],
            self.members[index],
            instant(self.entered_us[index]),
            None if exited is None else instant(exited),
            self.devices[index],
            self.keys[index],
        )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def instant(microseconds: int) -> datetime:
    """The instant ``microseconds`` after 1970-01-01T00:00Z (exact)."""
    return EPOCH + timedelta(microseconds=microseconds)


def microseconds(value: datetime | timedelta) -> int:
    """Whole microseconds of a duration, or since 1970-01-01T00:00Z of an aware instant."""
    if isinstance(value, timedelta):
        return value // MICROSECOND
    return (value - EPOCH) // MICROSECOND
