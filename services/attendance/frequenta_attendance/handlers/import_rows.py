"""The checks of one bulk row on its own, before any database read: the same input checks and
time rules as a single check-in (``handlers.visits``), each failure becoming that row's
rejection instead of an error for the whole batch."""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from frequenta_attendance.domain import errors, validation, visits
from frequenta_attendance.domain.batch import ImportRow, RawRow, Rejection
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.handlers.visits import MAX_DEVICE_ID, MAX_IDEMPOTENCY_KEY
from frequenta_kit.errors import DomainError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant_of(field: str, microseconds: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=microseconds)
    except OverflowError:
        raise errors.invalid(field, f"{field} is not a valid timestamp") from None


def check_row(raw: RawRow, row_number: int, *, now: datetime, rules: GymRules) -> ImportRow:
    """The row, cleaned, or the DomainError a single check-in of it would raise first."""
    member_id = validation.entity_id("member_id", raw.member_id)
    if raw.entered_us is None:
        raise errors.invalid("entered_at", "entered_at is required in a bulk import")
    entered_at = instant_of("entered_at", raw.entered_us)
    exited_at = None if raw.exited_us is None else instant_of("exited_at", raw.exited_us)
    device_id = validation.optional_text("device_id", raw.device_id, max_length=MAX_DEVICE_ID)
    key = validation.opaque_key(
        "idempotency_key", raw.idempotency_key, max_length=MAX_IDEMPOTENCY_KEY
    )
    visits.check_new_visit_times(entered_at, exited_at, now=now, rules=rules)
    return ImportRow(row_number, member_id, entered_at, exited_at, device_id, key)


def check_rows(
    rows: Iterable[tuple[int, RawRow]], *, now: datetime, rules: GymRules
) -> tuple[list[ImportRow], list[Rejection]]:
    """The rows (with their batch row numbers) that pass their own checks, and the
    rejections of the others."""
    passed: list[ImportRow] = []
    rejected: list[Rejection] = []
    for row_number, raw in rows:
        try:
            passed.append(check_row(raw, row_number, now=now, rules=rules))
        except DomainError as error:
            rejected.append(Rejection(row_number, error.code, error.message))
    return passed, rejected
