"""The worker's fast path: rows nothing can stand in the way of are accepted as they are, the
others decided by the full plan; the outcome of a chunk is exactly the full plan's, whatever
the rows (duplicates, key reuse, overlaps with stored visits and among the rows, open visits,
memberships), checked here on thousands of random chunks."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.domain.batch import CheckedRows, microseconds
from frequenta_attendance.domain.batch_plan import plan_chunk
from frequenta_attendance.domain.batch_triage import (
    MemberSpan,
    Reach,
    decide,
    member_windows,
    tangled_rows,
)
from frequenta_attendance.domain.rules import GymRules

RULES = GymRules(
    tz=ZoneInfo("America/Sao_Paulo"), clock_skew=timedelta(minutes=5), max_visit=timedelta(hours=6)
)
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Member:
    id: int
    enrolled_at: datetime = NOW - 30 * timedelta(days=1)
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class Stored:
    id: int
    member_id: int
    entered_at: datetime
    exited_at: datetime | None = None
    idempotency_key: str | None = None


MEMBERS = {
    7: Member(7),
    8: Member(8),
    9: Member(9, cancelled_at=NOW - 20 * H),
    10: Member(10, enrolled_at=NOW - 30 * H),
}


def rows_of(*rows: tuple) -> CheckedRows:
    checked = CheckedRows()
    for number, member, entered, exited, key in rows:
        checked.append(
            number,
            member,
            microseconds(entered),
            None if exited is None else microseconds(exited),
            None,
            key,
        )
    return checked


def full_plan(rows: CheckedRows, stored: list[Stored]) -> tuple[list[int], int, list[tuple]]:
    plan = plan_chunk(
        [rows.import_row(i) for i in range(len(rows))],
        members=MEMBERS,
        stored_by_key={s.idempotency_key: s for s in stored if s.idempotency_key},
        stored_nearby=stored,
        now=NOW,
        rules=RULES,
    )
    return (
        [r.row_number for r in plan.accepted],
        len(plan.duplicates),
        [(r.row_number, r.code, r.message) for r in plan.rejections],
    )


def fast(rows: CheckedRows, stored: list[Stored]) -> tuple[list[int], int, list[tuple]]:
    decision = decide(
        rows,
        members=MEMBERS,
        stored_by_key={s.idempotency_key: s for s in stored if s.idempotency_key},
        stored_nearby=stored,
        now=NOW,
        rules=RULES,
    )
    return (
        [rows.numbers[i] for i in decision.accepted],
        decision.duplicates,
        [(r.row_number, r.code, r.message) for r in decision.rejections],
    )


def random_visit(rng: random.Random, days: int = 2) -> tuple[datetime, datetime | None]:
    # Entries up to now on a 10-minute grid, so collisions are common over two days.
    entered = NOW - rng.randrange(0, days * 24 * 6) * 10 * MINUTE
    if rng.random() < 0.4:
        return entered, None
    exited = entered + rng.randrange(1, 37) * 10 * MINUTE
    return entered, (exited if exited <= NOW else None)


@pytest.mark.parametrize("seed", range(40))
def test_the_fast_path_decides_every_chunk_as_the_full_plan(seed: int) -> None:
    rng = random.Random(seed)
    keys = [f"k{n}" for n in range(12)]
    clear = 0
    for _ in range(50):
        days = rng.choice([2, 20])
        stored = [
            Stored(
                100 + n,
                rng.choice([7, 8, 9, 10]),
                *random_visit(rng, days),
                rng.choice([None, *keys]),
            )
            for n in range(rng.randrange(0, 6))
        ]
        stored = list({(s.member_id, s.entered_at): s for s in stored}.values())
        stored = list({s.idempotency_key or s.id: s for s in stored}.values())
        rows = rows_of(
            *(
                (
                    number,
                    rng.choice([7, 7, 8, 9, 10, 99]),
                    *random_visit(rng, days),
                    rng.choice([None, None, None, None, *keys]),
                )
                for number in range(1, rng.randrange(1, 30))
            )
        )
        assert fast(rows, stored) == full_plan(rows, stored)
        clear += len(rows) - len(_tangled(rows, stored))
    assert clear > 50  # the fast path is taken, not only the full plan


def _tangled(rows: CheckedRows, stored: list[Stored]) -> list[int]:
    entries: dict[int, list[int]] = {}
    for visit in stored:
        entries.setdefault(visit.member_id, []).append(microseconds(visit.entered_at))
    return tangled_rows(
        rows,
        members={m: _span(MEMBERS[m]) for m in MEMBERS},
        stored_keys={s.idempotency_key for s in stored if s.idempotency_key},
        stored_entries={m: sorted(e) for m, e in entries.items()},
        reach=Reach.of(NOW, RULES),
    )


def test_rows_far_apart_of_known_members_are_all_clear() -> None:
    rows = rows_of(
        (1, 7, NOW - 50 * H, NOW - 49 * H, "a"),
        (2, 7, NOW - 40 * H, None, "b"),  # a forgotten check-out: its entry only
        (3, 8, NOW - 40 * H, NOW - 39 * H, None),
        (4, 7, NOW - 2 * H, None, None),  # open, the member's latest
    )
    reach = Reach.of(NOW, RULES)
    assert member_windows(rows, MEMBERS, reach)[7].until is None
    assert fast(rows, []) == ([1, 2, 3, 4], 0, [])
    assert _tangled(rows, []) == []


def test_rows_that_may_meet_are_left_to_the_full_plan() -> None:
    rows = rows_of(
        (1, 7, NOW - 50 * H, NOW - 49 * H, "a"),
        (2, 7, NOW - 45 * H + MINUTE, None, None),  # within reach of row 1 (6 h + skew)
        (3, 8, NOW - 3 * H, None, None),  # open...
        (4, 8, NOW - H, None, None),  # ...so any later entry meets it
        (5, 9, NOW - 10 * H, None, None),  # after the cancellation
        (6, 7, NOW - 30 * H, None, "a"),  # the key of row 1
        (7, 8, NOW - 30 * H, None, "s"),  # a stored key
        (8, 7, NOW - 20 * H, None, None),  # a stored visit near it
    )
    stored = [Stored(100, 8, NOW - 60 * H, None, "s"), Stored(101, 7, NOW - 21 * H)]
    assert [rows.numbers[i] for i in _tangled(rows, stored)] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert fast(rows, stored) == full_plan(rows, stored)


def _span(member: Member) -> MemberSpan:
    cancelled = member.cancelled_at
    return MemberSpan(
        microseconds(member.enrolled_at), None if cancelled is None else microseconds(cancelled)
    )
