"""Which rows of a chunk the full plan (``batch_plan.plan_chunk``) must decide, and which are
accepted as they are: the worker's fast path, on plain integers (instants in microseconds).

A row is **clear** when nothing can stand in its way:
- its member exists and its entry falls within the membership;
- its key, if any, is held by no stored visit and by no other row of the chunk;
- no stored visit of its member enters within its collision window
  (``visits.collision_window``: from entry - maximum visit - clock skew to its exit, its entry
  for a forgotten check-out, no end while open);
- no other row of its member enters within its window, nor it within theirs.

``plan_chunk`` accepts every clear row, whatever the other rows: each of its checks (member,
key, duplicate entry, membership, collision with stored visits and with earlier accepted rows)
only looks at what such a row has none of. And the other rows, the **tangled** ones, meet in
``plan_chunk`` no clear row either (a row a tangled one could collide with, or share a key or
an entry with, is tangled too). So ``plan_chunk`` run on the tangled rows alone decides them
exactly as it would among all the rows: the chunk's outcome is the same, and only the rows
that need it (duplicates, overlaps, rejections, usually none of a chunk) pay for the plan.
"""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from frequenta_attendance.domain.batch import CheckedRows, Rejection, microseconds
from frequenta_attendance.domain.batch_plan import StoredVisit, plan_chunk
from frequenta_attendance.domain.membership import MembershipDates
from frequenta_attendance.domain.rules import GymRules


@dataclass(frozen=True, slots=True)
class MemberSpan:
    """A member's membership in microseconds: entries from ``enrolled`` on, before
    ``cancelled`` when cancelled."""

    enrolled: int
    cancelled: int | None


@dataclass(frozen=True, slots=True)
class Reach:
    """The visit rules in microseconds."""

    now: int
    max_visit: int
    clock_skew: int

    @classmethod
    def of(cls, now: datetime, rules: GymRules) -> Self:
        return cls(microseconds(now), microseconds(rules.max_visit), microseconds(rules.clock_skew))


@dataclass(frozen=True, slots=True)
class Span:
    """Entries from ``since`` to ``until`` (both included; ``until`` None: no end)."""

    since: int
    until: int | None


def member_windows(rows: CheckedRows, members: Container[int], reach: Reach) -> dict[int, Span]:
    """For each member of ``members`` with rows, the entries among which a stored visit
    colliding with one of them can lie: the union of the rows' collision windows."""
    back = reach.max_visit + reach.clock_skew
    open_after = reach.now - reach.max_visit
    since: dict[int, int] = {}
    until: dict[int, int | None] = {}
    for member_id, entered, exited in zip(
        rows.members, rows.entered_us, rows.exited_us, strict=True
    ):
        if member_id not in members:
            continue
        start = entered - back
        end = exited if exited is not None else None if entered > open_after else entered
        if member_id not in since:
            since[member_id], until[member_id] = start, end
            continue
        if start < since[member_id]:
            since[member_id] = start
        known = until[member_id]
        if known is not None and (end is None or end > known):
            until[member_id] = end
    return {member_id: Span(start, until[member_id]) for member_id, start in since.items()}


def tangled_rows(
    rows: CheckedRows,
    *,
    members: Mapping[int, MemberSpan],
    stored_keys: Container[str],
    stored_entries: Mapping[int, Sequence[int]],
    reach: Reach,
) -> list[int]:
    """The positions (in ``rows``, ascending) of the rows that are not clear.
    ``stored_entries``: per member, the entries of its stored visits in at least the rows'
    windows (``member_windows``), sorted."""
    count = len(rows)
    tangled = bytearray(count)
    first_with_key: dict[str, int] = {}
    for index, key in enumerate(rows.keys):
        if key is None:
            continue
        if key in stored_keys:
            tangled[index] = 1
        first = first_with_key.setdefault(key, index)
        if first != index:
            tangled[index] = tangled[first] = 1

    back = reach.max_visit + reach.clock_skew
    open_after = reach.now - reach.max_visit
    exits = rows.exited_us
    previous_member, previous_entry, previous_index, open_index = None, 0, -1, -1
    span: MemberSpan | None = None
    stored: Sequence[int] = ()
    # By member, then entry: a row's neighbours in this order are the rows it may meet.
    for member_id, entered, index in sorted(
        zip(rows.members, rows.entered_us, range(count), strict=True)
    ):
        if member_id != previous_member:
            span = members.get(member_id)
            stored = stored_entries.get(member_id, ())
            open_index = -1
        elif open_index >= 0 or entered - previous_entry <= back:
            # within reach of the previous row (or after an open one, which has no end)
            tangled[index] = tangled[previous_index] = 1
            if open_index >= 0:
                tangled[open_index] = 1
        if (
            span is None
            or entered < span.enrolled
            or (span.cancelled is not None and entered >= span.cancelled)
        ):
            tangled[index] = 1
        exited = exits[index]
        is_open = exited is None and entered > open_after
        if stored:
            first = bisect_left(stored, entered - back)
            if first < len(stored) and (
                is_open or stored[first] <= (entered if exited is None else exited)
            ):
                tangled[index] = 1
        if is_open and open_index < 0:
            open_index = index
        previous_member, previous_entry, previous_index = member_id, entered, index
    return [index for index in range(count) if tangled[index]]


@dataclass
class Decision:
    """What to do with each checked row of a chunk."""

    accepted: list[int] = field(default_factory=list)  # positions in the rows, ascending
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)


def decide(
    rows: CheckedRows,
    *,
    members: Mapping[int, MembershipDates],
    stored_by_key: Mapping[str, StoredVisit],
    stored_nearby: Iterable[StoredVisit],
    now: datetime,
    rules: GymRules,
) -> Decision:
    """``plan_chunk`` of ``rows`` (same arguments), computed on the tangled rows only."""
    stored_nearby = list(stored_nearby)
    tangled = tangled_rows(
        rows,
        members={
            member_id: MemberSpan(
                microseconds(member.enrolled_at),
                None if member.cancelled_at is None else microseconds(member.cancelled_at),
            )
            for member_id, member in members.items()
        },
        stored_keys=stored_by_key,
        stored_entries=_entries(stored_nearby),
        reach=Reach.of(now, rules),
    )
    if not tangled:
        return Decision(accepted=list(range(len(rows))))
    planned = [rows.import_row(index) for index in tangled]
    plan = plan_chunk(
        planned,
        members=members,
        stored_by_key=stored_by_key,
        stored_nearby=stored_nearby,
        now=now,
        rules=rules,
    )
    accepted = {id(row) for row in plan.accepted}
    refused = {
        index for index, row in zip(tangled, planned, strict=True) if id(row) not in accepted
    }
    return Decision(
        accepted=[index for index in range(len(rows)) if index not in refused],
        duplicates=len(plan.duplicates),
        rejections=plan.rejections,
    )


def _entries(stored: Iterable[StoredVisit]) -> dict[int, list[int]]:
    """Per member, the stored entries in microseconds, sorted."""
    entries: defaultdict[int, list[int]] = defaultdict(list)
    for visit in stored:
        entries[visit.member_id].append(microseconds(visit.entered_at))
    for member_entries in entries.values():
        member_entries.sort()
    return entries
