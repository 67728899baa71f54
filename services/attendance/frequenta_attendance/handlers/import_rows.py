"""The checks of one bulk row on its own, before any database read: the same input checks and
time rules as a single check-in (``handlers.visits``), each failure becoming that row's
rejection instead of an error for the whole batch.

``check_row`` is the rule; ``screen_rows`` is what the worker runs: a test on plain integers
and strings that only rows ``check_row`` accepts can pass (entry after 1970 and not in the
future, exit after it and within the maximum visit, printable text of allowed lengths), and
``check_row`` itself for every other row, so a row gets exactly the outcome ``check_row``
gives it, at a fraction of the cost for the rows that are fine.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from frequenta_attendance.domain import errors, validation, visits
from frequenta_attendance.domain.batch import (
    CheckedRows,
    ImportRow,
    RawRow,
    Rejection,
    microseconds,
)
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


def screen_rows(
    rows: Iterable[tuple[int, RawRow]], *, now: datetime, rules: GymRules
) -> tuple[CheckedRows, list[Rejection]]:
    """``check_rows``, column by column: the rows that pass (instants kept in microseconds)
    and the rejections of the others, each as ``check_row`` decides it."""
    latest = microseconds(now + rules.clock_skew)
    longest = microseconds(rules.max_visit)
    passed = CheckedRows()
    rejected: list[Rejection] = []
    for number, raw in rows:
        member_id, entered, exited, device, key = raw
        if (
            entered is not None
            and member_id > 0
            and 0 < entered <= latest
            and (exited is None or (entered < exited <= latest and exited - entered <= longest))
            and (not device or _plain_text(device.strip(), device, MAX_DEVICE_ID))
            and (not key or (_plain_text(key, key, MAX_IDEMPOTENCY_KEY) and key.strip() != ""))
        ):
            cleaned = device.strip() or None if device else None
            passed.append(number, member_id, entered, exited, cleaned, key or None)
            continue
        try:
            row = check_row(raw, number, now=now, rules=rules)
        except DomainError as error:
            rejected.append(Rejection(number, error.code, error.message))
            continue
        # check_row passed it after all (text the quick test is not sure about, e.g. a tab)
        assert entered is not None  # check_row refuses a row without its entry
        passed.append(number, row.member_id, entered, exited, row.device_id, row.idempotency_key)
    return passed, rejected


def _plain_text(cleaned: str, raw: str, max_length: int) -> bool:
    """Surely fine text: printable (hence no control or surrogate character) and short."""
    return raw.isprintable() and len(cleaned) <= max_length
