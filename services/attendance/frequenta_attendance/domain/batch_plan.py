"""Deciding the rows of one chunk of a bulk import against what is stored, with the rules of a
single check-in (docs/rules.md), in row order:

1. the member must exist (MEMBER_NOT_FOUND);
2. duplicates are counted, not stored: a row whose idempotency key is already stored (or taken
   by an earlier row of the chunk) for the same member and entry instant; without a key, a row
   whose member and entry instant are already stored (or taken). The same key with other data
   is IDEMPOTENCY_KEY_REUSED;
3. the entry must fall within the membership (BEFORE_ENROLLMENT, MEMBERSHIP_CANCELLED);
4. the visit must not collide with a stored visit nor with an earlier accepted row of the
   chunk (VISIT_ALREADY_OPEN, VISIT_OVERLAPS).

Rows of other chunks are stored visits by the time this chunk is decided: the caller holds the
locks of the chunk's members, which every writer of a member's visits takes first.
"""

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from frequenta_attendance.domain import errors, membership, visits
from frequenta_attendance.domain.batch import ImportRow, Rejection
from frequenta_attendance.domain.membership import MembershipDates
from frequenta_attendance.domain.rules import GymRules
from frequenta_kit.errors import DomainError


class StoredVisit(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def member_id(self) -> int: ...
    @property
    def entered_at(self) -> datetime: ...
    @property
    def exited_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class _Accepted:
    """An accepted row as a collision candidate (``id`` 0: not stored yet)."""

    row: ImportRow
    id: int = 0

    @property
    def entered_at(self) -> datetime:
        return self.row.entered_at

    @property
    def exited_at(self) -> datetime | None:
        return self.row.exited_at


@dataclass
class _Timeline:
    """One member's visits (stored or accepted) sorted by entry, searchable by entry range."""

    entries: list[datetime] = field(default_factory=list)
    items: list[StoredVisit | _Accepted] = field(default_factory=list)

    def add(self, item: StoredVisit | _Accepted) -> None:
        index = bisect.bisect_right(self.entries, item.entered_at)
        self.entries.insert(index, item.entered_at)
        self.items.insert(index, item)

    def within(self, window: visits.Window) -> list[StoredVisit | _Accepted]:
        start = bisect.bisect_left(self.entries, window.since)
        end = (
            len(self.entries)
            if window.until is None
            else bisect.bisect_right(self.entries, window.until)
        )
        return self.items[start:end]


@dataclass
class ChunkPlan:
    """What to do with each row of a chunk."""

    accepted: list[ImportRow] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)  # row numbers
    rejections: list[Rejection] = field(default_factory=list)


class _Duplicate(Exception):
    pass


def plan_chunk(
    rows: Iterable[ImportRow],
    *,
    members: Mapping[int, MembershipDates],
    stored_by_key: Mapping[str, StoredVisit],
    stored_nearby: Iterable[StoredVisit],
    now: datetime,
    rules: GymRules,
) -> ChunkPlan:
    """Decide ``rows`` (in row order). ``stored_by_key``: the stored visits holding the rows'
    keys; ``stored_nearby``: at least the stored visits of the rows' members whose entries fall
    in the rows' collision windows (``visits.collision_window``)."""
    timelines: defaultdict[int, _Timeline] = defaultdict(_Timeline)
    taken_entries: set[tuple[int, datetime]] = set()
    for visit in stored_nearby:
        timelines[visit.member_id].add(visit)
        taken_entries.add((visit.member_id, visit.entered_at))
    taken_keys: dict[str, StoredVisit | ImportRow] = dict(stored_by_key)
    plan = ChunkPlan()
    for row in rows:
        try:
            _decide(row, members, taken_keys, taken_entries, timelines, now=now, rules=rules)
        except _Duplicate:
            plan.duplicates.append(row.row_number)
        except DomainError as error:
            plan.rejections.append(Rejection(row.row_number, error.code, error.message))
        else:
            plan.accepted.append(row)
            timelines[row.member_id].add(_Accepted(row))
            taken_entries.add((row.member_id, row.entered_at))
            if row.idempotency_key is not None:
                taken_keys[row.idempotency_key] = row
    return plan


def _decide(
    row: ImportRow,
    members: Mapping[int, MembershipDates],
    taken_keys: Mapping[str, StoredVisit | ImportRow],
    taken_entries: set[tuple[int, datetime]],
    timelines: Mapping[int, _Timeline],
    *,
    now: datetime,
    rules: GymRules,
) -> None:
    """Return if ``row`` is to be stored; raise _Duplicate or the DomainError refusing it."""
    member = members.get(row.member_id)
    if member is None:
        raise errors.member_not_found(row.member_id)
    if row.idempotency_key is not None:
        earlier = taken_keys.get(row.idempotency_key)
        if earlier is not None:
            if (earlier.member_id, earlier.entered_at) == (row.member_id, row.entered_at):
                raise _Duplicate
            raise errors.idempotency_key_reused()
    elif (row.member_id, row.entered_at) in taken_entries:
        raise _Duplicate
    membership.check_can_enter(member, row.entered_at)
    window = visits.collision_window(row.entered_at, row.exited_at, now=now, rules=rules)
    timeline = timelines.get(row.member_id)
    if timeline is not None:
        _check_no_collision(timeline.within(window), row, now=now, rules=rules)


def _check_no_collision(
    candidates: Sequence[StoredVisit | _Accepted], row: ImportRow, *, now: datetime, rules: GymRules
) -> None:
    stored = [c for c in candidates if not isinstance(c, _Accepted)]
    visits.check_no_collision(stored, row.entered_at, row.exited_at, now=now, rules=rules)
    for earlier in candidates:
        if not isinstance(earlier, _Accepted):
            continue
        try:
            visits.check_no_collision(
                [earlier], row.entered_at, row.exited_at, now=now, rules=rules
            )
        except DomainError as error:
            raise errors.overlaps_batch_row(
                error.code, earlier.row.row_number, earlier.entered_at, earlier.exited_at
            ) from None
