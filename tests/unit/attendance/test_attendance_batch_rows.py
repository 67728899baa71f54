"""Bulk rows on their own: the input checks and time rules of a single check-in, each failure
becoming that row's rejection with its 1-based row number; the worker's column screen gives
every row the same outcome."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.handlers.import_rows import check_rows, screen_rows

RULES = GymRules(
    tz=ZoneInfo("America/Sao_Paulo"), clock_skew=timedelta(minutes=5), max_visit=timedelta(hours=6)
)
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)


def us(instant: datetime) -> int:
    return (instant - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def raw(member_id: int = 7, entered: datetime | None = NOW - 3 * H, **fields: object) -> RawRow:
    exited = fields.pop("exited", None)
    return RawRow(
        member_id=member_id,
        entered_us=None if entered is None else us(entered),
        exited_us=None if exited is None else us(exited),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def test_a_valid_row_is_cleaned_and_keeps_its_batch_row_number() -> None:
    passed, rejected = check_rows(
        [(1001, raw(exited=NOW - 2 * H, device_id=" catraca-01 ", idempotency_key=" k "))],
        now=NOW,
        rules=RULES,
    )
    assert rejected == []
    (row,) = passed
    assert row.row_number == 1001
    assert (row.member_id, row.entered_at, row.exited_at) == (7, NOW - 3 * H, NOW - 2 * H)
    assert row.entered_at.tzinfo is not None
    assert row.device_id == "catraca-01"  # trimmed, like a single check-in
    assert row.idempotency_key == " k "  # keys are opaque: kept exactly


@pytest.mark.parametrize(
    ("row", "code"),
    [
        (raw(member_id=0), "VALIDATION_ERROR"),
        (raw(member_id=-3), "VALIDATION_ERROR"),
        (raw(entered=None), "VALIDATION_ERROR"),
        (raw(entered=datetime(1970, 1, 1, tzinfo=UTC)), "VALIDATION_ERROR"),
        (raw(entered=NOW + timedelta(minutes=6)), "TIMESTAMP_IN_FUTURE"),
        (raw(entered=NOW - H, exited=NOW + timedelta(minutes=6)), "TIMESTAMP_IN_FUTURE"),
        (raw(exited=NOW - 3 * H), "EXIT_BEFORE_ENTRY"),
        (raw(exited=NOW - 4 * H), "EXIT_BEFORE_ENTRY"),
        (raw(entered=NOW - 8 * H, exited=NOW - H), "VISIT_TOO_LONG"),
        (raw(device_id="x" * 101), "VALIDATION_ERROR"),
        (raw(device_id="bad\x00id"), "VALIDATION_ERROR"),
        (raw(idempotency_key="k" * 201), "VALIDATION_ERROR"),
        (raw(idempotency_key="   "), "VALIDATION_ERROR"),
    ],
)
def test_a_row_breaking_a_single_check_in_rule_is_rejected_with_its_code(
    row: RawRow, code: str
) -> None:
    passed, rejected = check_rows([(5, row)], now=NOW, rules=RULES)
    assert passed == []
    assert [(r.row_number, r.code) for r in rejected] == [(5, code)]
    assert rejected[0].message


def test_an_instant_out_of_any_calendar_is_rejected_not_raised() -> None:
    row = RawRow(member_id=7, entered_us=2**62, exited_us=None)
    passed, rejected = check_rows([(1, row)], now=NOW, rules=RULES)
    assert passed == []
    assert rejected[0].code == "VALIDATION_ERROR"


def test_good_and_bad_rows_are_told_apart_in_order() -> None:
    rows = [raw(member_id=1), raw(member_id=0), raw(member_id=3), raw(entered=None)]
    passed, rejected = check_rows(enumerate(rows, start=11), now=NOW, rules=RULES)
    assert [row.row_number for row in passed] == [11, 13]
    assert [r.row_number for r in rejected] == [12, 14]


TEXTS = ["", " ", "a", " a ", "\t", "a\tb", "\x00", "ção", "\u00a0x", "\u200b", "\ud800", "\x7f"]
TEXTS += ["x" * 100, " " + "x" * 100 + " ", "x" * 101, "k" * 200, "k" * 201, "a\nb"]


@pytest.mark.parametrize("seed", range(5))
def test_the_workers_column_screen_decides_every_row_as_check_row(seed: int) -> None:
    rng = random.Random(seed)
    now_us = us(NOW)

    def instant() -> int | None:
        draw = rng.random()
        if draw < 0.05:
            return None
        if draw < 0.15:
            return rng.choice(
                [0, 1, -1, 2**62, -(2**62), now_us + 300_000_000, now_us + 300_000_001]
            )
        return now_us - rng.randrange(0, 10**12)

    rows = []
    for number in range(1, 20_001):
        entered = instant()
        if rng.random() < 0.4:
            exited = None
        elif entered is not None and rng.random() < 0.8:
            exited = entered + rng.choice([-1, 0, 1, 6 * 3600 * 10**6, 6 * 3600 * 10**6 + 1])
        else:
            exited = instant()
        member = rng.choice([1, 5, 5, 5, 0, -1])
        device = rng.choice(["", "", "catraca-01", *TEXTS])
        key = rng.choice(["", "", "k-1", *TEXTS])
        rows.append((number, RawRow(member, entered, exited, device, key)))

    passed, rejected = check_rows(rows, now=NOW, rules=RULES)
    screened, screen_rejected = screen_rows(rows, now=NOW, rules=RULES)
    assert screen_rejected == rejected
    assert [screened.import_row(i) for i in range(len(screened))] == passed
    assert len(passed) > 1000 and len(rejected) > 1000
