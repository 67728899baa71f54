"""Deciding the checked rows of one chunk against what is stored (docs/bulk-imports.md), inside
the chunk's transaction: lock the members and read the stored visits near the rows' entries
(``read_stored``), then ``domain.batch_triage.decide``: the clear rows are accepted as they
are, the others decided by the full plan, which gives every row the outcome a single check-in
would.

The stored visits holding the rows' keys are read only when they can matter. A new batch's
keys are stored nowhere, and the insert of the accepted rows checks that by itself (the
unique index on keys): so ``decide_if_keys_free`` decides as if no key of the chunk were
stored, reads only the keys of the rows it does not accept (usually none), and the insert
that follows proves the others free. When a key turns out to be stored (a batch sent again),
``decide_rows`` decides the chunk again with every key read, as before."""

from dataclasses import dataclass
from datetime import datetime

from frequenta_attendance.domain.batch import CheckedRows
from frequenta_attendance.domain.batch_triage import Decision, Reach, decide, member_windows
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.import_repository import MemberDates, StoredVisit
from frequenta_attendance.uow import UnitOfWork


@dataclass(frozen=True)
class Stored:
    """What a chunk's rows are decided against, but the keys: their members (locked) and the
    stored visits near their entries."""

    members: dict[int, MemberDates]
    nearby: list[StoredVisit]


async def read_stored(
    uow: UnitOfWork, rows: CheckedRows, *, now: datetime, rules: GymRules
) -> Stored:
    """Lock the rows' members in id order and read their stored visits near the rows; the
    caller then holds the locks until it commits, so what was read stays true."""
    if not rows:
        return Stored({}, [])
    members = await uow.imports.lock_members(rows.members)
    reach = Reach.of(now, rules)
    nearby = await uow.imports.visits_near(member_windows(rows, members, reach))
    return Stored(members, nearby)


async def decide_rows(
    uow: UnitOfWork, rows: CheckedRows, stored: Stored, *, now: datetime, rules: GymRules
) -> Decision:
    """Decide ``rows`` (in row order) with the stored visits holding their keys."""
    if not rows:
        return Decision()
    stored_by_key = await uow.imports.visits_by_keys([k for k in rows.keys if k is not None])
    return decide(
        rows,
        members=stored.members,
        stored_by_key=stored_by_key,
        stored_nearby=stored.nearby,
        now=now,
        rules=rules,
    )


async def decide_if_keys_free(
    uow: UnitOfWork, rows: CheckedRows, stored: Stored, *, now: datetime, rules: GymRules
) -> Decision | None:
    """``decide_rows``'s decision provided the accepted rows' keys are stored nowhere (the
    caller's insert must prove it, or call ``decide_rows``); None when the key of a row it does
    not accept is stored (``decide_rows`` then). Exact: with no key of the chunk stored,
    ``decide_rows`` reads no visit by key and decides the same."""
    if not rows:
        return Decision()
    decision = decide(
        rows,
        members=stored.members,
        stored_by_key={},
        stored_nearby=stored.nearby,
        now=now,
        rules=rules,
    )
    if len(decision.accepted) < len(rows):
        accepted = set(decision.accepted)
        keys = [k for i, k in enumerate(rows.keys) if k is not None and i not in accepted]
        if keys and await uow.imports.visits_by_keys(keys):
            return None
    return decision
