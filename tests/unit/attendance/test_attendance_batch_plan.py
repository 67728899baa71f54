"""Deciding a chunk of bulk rows against stored visits and each other: members and memberships,
deduplication (idempotency key, else member + entry instant), overlaps with stored visits and
with earlier rows of the batch."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from frequenta_attendance.domain.batch import ImportRow
from frequenta_attendance.domain.batch_plan import ChunkPlan, plan_chunk
from frequenta_attendance.domain.rules import GymRules

RULES = GymRules(
    tz=ZoneInfo("America/Sao_Paulo"), clock_skew=timedelta(minutes=5), max_visit=timedelta(hours=6)
)
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
H = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Member:
    id: int
    enrolled_at: datetime = NOW - 400 * DAY
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class Stored:
    id: int
    member_id: int
    entered_at: datetime
    exited_at: datetime | None = None
    idempotency_key: str | None = None


MEMBERS = {7: Member(7), 8: Member(8)}


def row(
    n: int,
    entered: datetime,
    exited: datetime | None = None,
    *,
    member: int = 7,
    key: str | None = None,
) -> ImportRow:
    return ImportRow(n, member, entered, exited, None, key)


def plan(rows: list[ImportRow], *stored: Stored, members: dict | None = None) -> ChunkPlan:
    return plan_chunk(
        rows,
        members=MEMBERS if members is None else members,
        stored_by_key={s.idempotency_key: s for s in stored if s.idempotency_key},
        stored_nearby=stored,
        now=NOW,
        rules=RULES,
    )


def outcome(result: ChunkPlan) -> tuple[list[int], list[int], list[tuple[int, str]]]:
    return (
        [r.row_number for r in result.accepted],
        result.duplicates,
        [(r.row_number, r.code) for r in result.rejections],
    )


def test_rows_of_known_members_without_conflicts_are_all_accepted() -> None:
    rows = [row(1, NOW - 3 * DAY, NOW - 3 * DAY + H), row(2, NOW - 2 * DAY, member=8)]
    assert outcome(plan(rows)) == ([1, 2], [], [])


def test_membership_rules_apply_per_row() -> None:
    members = {
        7: Member(7, enrolled_at=NOW - 10 * DAY),
        8: Member(8, cancelled_at=NOW - 5 * DAY),
    }
    rows = [
        row(1, NOW - 11 * DAY),  # before enrollment
        row(2, NOW - 4 * DAY, member=8),  # at or after the cancellation
        row(3, NOW - 6 * DAY, NOW - 6 * DAY + H, member=8),  # history before it: fine
        row(4, NOW - DAY, member=99),  # unknown member
    ]
    assert outcome(plan(rows, members=members)) == (
        [3],
        [],
        [(1, "BEFORE_ENROLLMENT"), (2, "MEMBERSHIP_CANCELLED"), (4, "MEMBER_NOT_FOUND")],
    )


def test_a_stored_key_with_the_same_member_and_entry_is_a_duplicate_else_a_reuse() -> None:
    stored = Stored(100, 7, NOW - 2 * DAY, NOW - 2 * DAY + H, idempotency_key="k1")
    rows = [
        row(1, NOW - 2 * DAY, NOW - 2 * DAY + H, key="k1"),
        row(2, NOW - 2 * DAY, key="k1"),  # same member and entry, exit left out: the same visit
        row(3, NOW - DAY, key="k1"),  # same key, other entry
        row(4, NOW - 2 * DAY, key="k1", member=8),  # same key, other member
    ]
    assert outcome(plan(rows, stored)) == (
        [],
        [1, 2],
        [(3, "IDEMPOTENCY_KEY_REUSED"), (4, "IDEMPOTENCY_KEY_REUSED")],
    )


def test_without_a_key_the_member_and_entry_instant_deduplicate() -> None:
    stored = Stored(100, 7, NOW - 2 * DAY, NOW - 2 * DAY + H)
    rows = [
        row(1, NOW - 2 * DAY),
        row(2, NOW - 2 * DAY, NOW - 2 * DAY + 2 * H),  # other exit, same visit
        row(3, NOW - 2 * DAY, member=8),  # another member: a visit of its own
    ]
    assert outcome(plan(rows, stored)) == ([3], [1, 2], [])


def test_a_keyed_row_at_a_stored_entry_of_another_key_overlaps_as_a_single_check_in_would() -> None:
    stored = Stored(100, 7, NOW - 2 * DAY, NOW - 2 * DAY + H, idempotency_key="k1")
    assert outcome(plan([row(1, NOW - 2 * DAY, key="k2")], stored)) == (
        [],
        [],
        [(1, "VISIT_OVERLAPS")],
    )


def test_repeats_inside_the_batch_are_duplicates_of_the_first_occurrence() -> None:
    rows = [
        row(1, NOW - 2 * DAY, NOW - 2 * DAY + H, key="a"),
        row(2, NOW - 2 * DAY, NOW - 2 * DAY + H, key="a"),
        row(3, NOW - 3 * DAY),
        row(4, NOW - 3 * DAY),
        row(5, NOW - DAY, key="a"),
    ]
    assert outcome(plan(rows)) == ([1, 3], [2, 4], [(5, "IDEMPOTENCY_KEY_REUSED")])


def test_a_rejected_row_does_not_reserve_its_key_or_entry() -> None:
    rows = [
        row(1, NOW - 2 * DAY, key="a", member=99),
        row(2, NOW - 2 * DAY, key="a"),
    ]
    assert outcome(plan(rows)) == ([2], [], [(1, "MEMBER_NOT_FOUND")])


def test_overlaps_with_stored_visits_are_rejected() -> None:
    finished = Stored(100, 7, NOW - 2 * DAY, NOW - 2 * DAY + 2 * H)
    still_open = Stored(101, 7, NOW - H)
    rows = [
        row(1, NOW - 2 * DAY + H),  # inside the finished visit
        row(2, NOW - 2 * DAY - H, NOW - 2 * DAY + H),  # contains its entry
        row(3, NOW - 30 * 60 * timedelta(seconds=1)),  # inside the open visit
        row(4, NOW - 2 * DAY + 2 * H),  # starts when the finished one ends: fine
    ]
    assert outcome(plan(rows, finished, still_open)) == (
        [4],
        [],
        [(1, "VISIT_OVERLAPS"), (2, "VISIT_OVERLAPS"), (3, "VISIT_ALREADY_OPEN")],
    )


def test_overlaps_between_rows_of_the_batch_name_the_earlier_row() -> None:
    rows = [
        row(1, NOW - 2 * DAY, NOW - 2 * DAY + 2 * H),
        row(2, NOW - 2 * DAY + H, NOW - 2 * DAY + 3 * H),  # overlaps row 1
        row(3, NOW - 2 * DAY + 2 * H, NOW - 2 * DAY + 3 * H),  # right after row 1: fine
        row(4, NOW - 2 * H),  # open visit
        row(5, NOW - H),  # inside the open visit of row 4
    ]
    result = plan(rows)
    assert outcome(result) == (
        [1, 3, 4],
        [],
        [(2, "VISIT_OVERLAPS"), (5, "VISIT_ALREADY_OPEN")],
    )
    assert "row 1 of this batch" in result.rejections[0].message
    assert "row 4 of this batch" in result.rejections[1].message


def test_rows_out_of_entry_order_are_still_checked_against_each_other() -> None:
    rows = [
        row(1, NOW - 2 * DAY + 3 * H, NOW - 2 * DAY + 4 * H),
        row(2, NOW - 2 * DAY, NOW - 2 * DAY + 3 * H + 1 * timedelta(minutes=1)),
    ]
    assert outcome(plan(rows)) == ([1], [], [(2, "VISIT_OVERLAPS")])


def test_forgotten_check_outs_occupy_their_entry_instant_only() -> None:
    forgotten = Stored(100, 7, NOW - 2 * DAY)
    rows = [row(1, NOW - 2 * DAY + H, NOW - 2 * DAY + 2 * H)]
    assert outcome(plan(rows, forgotten)) == ([1], [], [])
