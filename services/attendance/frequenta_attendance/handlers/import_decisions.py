"""Deciding the checked rows of one chunk against what is stored (docs/bulk-imports.md), inside
the chunk's transaction: lock the members, read the stored visits holding the rows' keys and
those near the rows' entries (one statement each, whatever the number of rows), then
``domain.batch_triage.decide``: the clear rows are accepted as they are, the others decided by
the full plan, which gives every row the outcome a single check-in would."""

from datetime import datetime

from frequenta_attendance.domain.batch import CheckedRows
from frequenta_attendance.domain.batch_triage import Decision, Reach, decide, member_windows
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.uow import UnitOfWork


async def decide_rows(
    uow: UnitOfWork, rows: CheckedRows, *, now: datetime, rules: GymRules
) -> Decision:
    """Decide ``rows`` (in row order); the caller then holds the locks of their members until
    it commits, so what was read stays true."""
    if not rows:
        return Decision()
    members = await uow.imports.lock_members(rows.members)
    stored_by_key = await uow.imports.visits_by_keys([k for k in rows.keys if k is not None])
    reach = Reach.of(now, rules)
    stored_nearby = await uow.imports.visits_near(member_windows(rows, members, reach))
    return decide(
        rows,
        members=members,
        stored_by_key=stored_by_key,
        stored_nearby=stored_nearby,
        now=now,
        rules=rules,
    )
