"""Exports for training and rebuilds: every member, every visit of a period, streamed in
batches (one gRPC message each). Each batch is read in its own short transaction (keyset
paging), so a long export holds no connection or snapshot between batches."""

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors
from frequenta_attendance.models import Member
from frequenta_attendance.uow import UnitOfWork

BATCH_SIZE = 5000  # rows per read and per message: ~0.4 MB of visits, under gRPC's 4 MB


async def export_members(
    *, uow: UnitOfWork, enrolled_before: datetime | None, batch_size: int = BATCH_SIZE
) -> AsyncIterator[Sequence[Member]]:
    """Every member (enrolled at or before ``enrolled_before`` when given), in id order, in
    batches of up to ``batch_size``."""
    after_id = 0
    while True:
        async with uow:
            batch = await uow.members.batch_after(
                after_id, enrolled_before=enrolled_before, limit=batch_size
            )
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        after_id = batch[-1].id


async def export_visits(
    *,
    uow: UnitOfWork,
    clock: Clock,
    since: datetime | None,
    until: datetime | None,
    batch_size: int = BATCH_SIZE,
) -> AsyncIterator[Sequence[Row[Any]]]:
    """Every visit entered in [since, until) (default: from the start, up to now), in entry
    order, in batches of up to ``batch_size``: rows with the Visit's attribute names."""
    end = until or clock()
    if since is not None and since >= end:
        raise errors.invalid("since", "since must be before until")
    after: tuple[datetime, int] | None = None
    while True:
        async with uow:
            batch = await uow.visits.batch_after(after, since=since, until=end, limit=batch_size)
        if batch:
            yield batch
        if len(batch) < batch_size:
            return
        after = (batch[-1].entered_at, batch[-1].id)
