"""The relay's SQL: claim partitions, read their unpublished rows, mark rows published, measure
the backlog, prune old published rows.

Partitions keep one member's events in order while several relays run. The rows of member ``m``
belong to partition ``m % partitions``; rows without a member (work messages) to the extra
partition ``partitions``. A relay claims a partition with a transaction-scoped advisory lock,
so at most one relay publishes a partition at a time, and keeps it until the transaction that
marks the rows published commits. Every relay must run with the same number of partitions.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# First key of the two-key advisory locks of the relay; the second is the partition.
LOCK_CLASS = 0x0B0C_0BE0


def partition_of(aggregate_id: int | None, partitions: int) -> int:
    """The partition of a row (the SQL below computes the same)."""
    return partitions if aggregate_id is None else aggregate_id % partitions


_CLAIM = text(
    # Without ORDER BY the scan tries the candidates in order and stops after :limit locks.
    "SELECT p FROM unnest(CAST(:candidates AS integer[])) AS p"
    " WHERE pg_try_advisory_xact_lock(:lock_class, p) LIMIT :limit"
)

# The same, trying only the candidates with unpublished rows among the first :peek of them (in
# id order, through the partial index of unpublished rows): every candidate when there are
# :peek or more (a backlog). The CASE makes sure no lock is taken before that test.
_CLAIM_WAITING = text(
    "WITH peek AS (SELECT aggregate_id FROM outbox WHERE published_at IS NULL"
    " ORDER BY id LIMIT :peek),"
    " waiting AS (SELECT DISTINCT coalesce(aggregate_id % :partitions, :partitions) AS p"
    " FROM peek)"
    " SELECT c.p FROM unnest(CAST(:candidates AS integer[])) AS c(p)"
    " WHERE CASE WHEN (SELECT count(*) FROM peek) >= :peek OR c.p IN (SELECT p FROM waiting)"
    " THEN pg_try_advisory_xact_lock(:lock_class, c.p) ELSE false END"
    " LIMIT :limit"
)

_PENDING = text(
    "SELECT id, message_id, message_type, exchange, routing_key, aggregate_id, content_type,"
    " headers, payload, created_at FROM outbox"
    " WHERE published_at IS NULL"
    " AND coalesce(aggregate_id % :partitions, :partitions) = ANY(CAST(:claimed AS integer[]))"
    " ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
)

# A round reads its rows through the partial index of unpublished rows, in id order, stopping
# after :limit rows, and marks them through the primary key. PostgreSQL's statistics often say
# the outbox holds few rows, or few unpublished ones (it usually does); with them the planner
# reads every unpublished row of the claimed partitions and sorts them all, and marks rows by
# scanning the whole table: after a burst (a bulk import, 100,000 events) every round paid for
# the whole backlog, quadratic in all (about 40 ms a round at 20,000 rows). Forbidding sorts
# and sequential scans for the round's transaction only leaves the index plans, whatever the
# statistics say.
_INDEX_PLANS = text(
    "SELECT set_config('enable_sort', 'off', true), set_config('enable_seqscan', 'off', true)"
)

_MARK = text(
    "UPDATE outbox SET published_at = clock_timestamp() WHERE id = ANY(CAST(:ids AS bigint[]))"
)

_BACKLOG = text(
    "SELECT count(*), extract(epoch FROM clock_timestamp() - min(created_at))::float8"
    " FROM outbox WHERE published_at IS NULL"
)

_PRUNE = text(
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
    " WHERE published_at < clock_timestamp() - make_interval(secs => :seconds)"
    " ORDER BY id LIMIT :limit)"
)


@dataclass(frozen=True)
class PendingMessage:
    """An unpublished outbox row, as the relay publishes it."""

    id: int
    message_id: uuid.UUID
    message_type: str
    exchange: str
    routing_key: str
    aggregate_id: int | None
    content_type: str
    headers: dict[str, Any]
    payload: bytes
    created_at: datetime


async def claim_partitions(
    connection: AsyncConnection, candidates: Sequence[int], *, limit: int
) -> list[int]:
    """Lock up to ``limit`` of ``candidates`` (tried in that order) that no other relay holds,
    until the end of the current transaction."""
    rows = await connection.execute(
        _CLAIM, {"candidates": list(candidates), "lock_class": LOCK_CLASS, "limit": limit}
    )
    return [row[0] for row in rows]


async def use_index_plans(connection: AsyncConnection) -> None:
    """Forbid sorts and sequential scans for the rest of the current transaction (above)."""
    await connection.execute(_INDEX_PLANS)


async def claim_waiting_partitions(
    connection: AsyncConnection,
    candidates: Sequence[int],
    *,
    partitions: int,
    limit: int,
    peek: int,
) -> list[int]:
    """:func:`claim_partitions` of the ``candidates`` that have unpublished rows, as far as the
    first ``peek`` unpublished rows tell (all of them if there are that many). Fewer than
    ``limit`` claimed: every candidate with rows was tried. Call :func:`use_index_plans` first
    in the transaction."""
    rows = await connection.execute(
        _CLAIM_WAITING,
        {
            "candidates": list(candidates),
            "lock_class": LOCK_CLASS,
            "limit": limit,
            "partitions": partitions,
            "peek": peek,
        },
    )
    return [row[0] for row in rows]


async def pending(
    connection: AsyncConnection,
    claimed: Sequence[int],
    *,
    partitions: int,
    limit: int,
    index_plans: bool = True,
) -> list[PendingMessage]:
    """Up to ``limit`` unpublished rows of the ``claimed`` partitions in id order, locked
    (``index_plans=False``: :func:`use_index_plans` was called already in this transaction)."""
    if index_plans:
        await use_index_plans(connection)
    rows = await connection.execute(
        _PENDING, {"claimed": list(claimed), "partitions": partitions, "limit": limit}
    )
    return [PendingMessage(**row._mapping) for row in rows]


async def mark_published(connection: AsyncConnection, ids: Sequence[int]) -> None:
    if ids:
        await connection.execute(_MARK, {"ids": list(ids)})


async def backlog(connection: AsyncConnection) -> tuple[int, float | None]:
    """How many rows wait, and the age in seconds of the oldest (None if none waits): the
    outbox lag."""
    count, age = (await connection.execute(_BACKLOG)).one()
    return count, age


async def prune(connection: AsyncConnection, *, older_than: float, limit: int = 10_000) -> int:
    """Delete up to ``limit`` rows published more than ``older_than`` seconds ago; how many."""
    result = await connection.execute(_PRUNE, {"seconds": older_than, "limit": limit})
    return result.rowcount
