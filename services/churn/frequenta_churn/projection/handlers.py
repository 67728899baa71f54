"""Use cases of the projection: apply one event, or a delivery batch of them (the live
consumer), merge exported rows in batches (the rebuild). No broker and no gRPC here; both come
in as plain values."""

import logging
import time
import uuid
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from frequenta_churn.projection.facts import (
    MemberFacts,
    ProjectionEvent,
    VisitFacts,
    decode_event,
)
from frequenta_churn.uow import UnitOfWork

log = logging.getLogger(__name__)

F = TypeVar("F", MemberFacts, VisitFacts)


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # its event id was in the inbox: nothing done
    IGNORED = "ignored"  # an event type the projection does not use


async def apply_event(*, uow: UnitOfWork, body: bytes) -> Outcome:
    """Apply one serialized EventEnvelope in one transaction with its inbox row: the event is
    applied at most once, and exactly once when the transaction commits. MalformedEvent if it
    can never be applied."""
    event = decode_event(body)
    if event is None:
        return Outcome.IGNORED
    async with uow:
        if not await uow.projection.claim(event.event_id, event.event_type):
            return Outcome.DUPLICATE
        await uow.projection.apply(event.change)
        await uow.commit()
    return Outcome.APPLIED


async def apply_events(*, uow: UnitOfWork, bodies: Sequence[bytes]) -> list[Outcome]:
    """:func:`apply_event` for several events in ONE transaction: one inbox claim of all
    their ids, one merge of all their facts; the outcome of each, in order. An event id seen
    twice is applied once (the others are DUPLICATE). MalformedEvent if any can never be
    applied, and nothing is: the caller then applies them one by one."""
    events = [decode_event(body) for body in bodies]
    unique: dict[uuid.UUID, ProjectionEvent] = {}  # the first copy of each id, in order
    for event in events:
        if event is not None:
            unique.setdefault(event.event_id, event)
    if not unique:
        return [Outcome.IGNORED] * len(events)
    async with uow:
        claimed = await uow.projection.claim_many(
            (event.event_id, event.event_type) for event in unique.values()
        )
        await uow.projection.apply(
            *(event.change for event in unique.values() if event.event_id in claimed)
        )
        await uow.commit()
    outcomes = []
    for event in events:
        if event is None:
            outcomes.append(Outcome.IGNORED)
        elif event.event_id in claimed:
            claimed.discard(event.event_id)  # a second copy in the batch is a duplicate
            outcomes.append(Outcome.APPLIED)
        else:
            outcomes.append(Outcome.DUPLICATE)
    return outcomes


@dataclass(frozen=True)
class RebuildCounts:
    members: int
    visits: int
    seconds: float


async def _merge_in_batches(
    uow: Callable[[], UnitOfWork],
    rows: AsyncIterable[F],
    batch_size: int,
    merge: Callable[[UnitOfWork, list[F]], Awaitable[None]],
    what: str,
) -> int:
    """Merge ``rows`` in transactions of ``batch_size`` rows (one upsert statement each)."""
    total, batch = 0, []

    async def flush() -> None:
        nonlocal total
        async with uow() as work:
            await merge(work, batch)
            await work.commit()
        total += len(batch)
        batch.clear()
        if total % (batch_size * 50) == 0:
            log.info("rebuild: %d %s merged so far", total, what)

    async for row in rows:
        batch.append(row)
        if len(batch) >= batch_size:
            await flush()
    if batch:
        await flush()
    return total


async def rebuild(
    *,
    uow: Callable[[], UnitOfWork],
    members: AsyncIterable[MemberFacts],
    visits: AsyncIterable[VisitFacts],
    batch_size: int,
) -> RebuildCounts:
    """Merge every exported member, then every exported visit, with the same monotonic merges
    as the live events: safe while the live consumer runs, and safe to run again."""
    started = time.monotonic()
    merged_members = await _merge_in_batches(
        uow, members, batch_size, lambda work, rows: work.projection.merge_members(rows), "members"
    )
    merged_visits = await _merge_in_batches(
        uow, visits, batch_size, lambda work, rows: work.projection.merge_visits(rows), "visits"
    )
    return RebuildCounts(merged_members, merged_visits, time.monotonic() - started)
