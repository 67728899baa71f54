"""One retraining at a time across every retrain worker: a PostgreSQL session advisory lock on
churn's database, held for the whole job on a connection of its own (outside any pool and any
transaction), so a worker that dies releases it with its connection.

A job that finds the lock taken waits for it, checking every ``poll`` seconds, with its message
held (prefetch 1). It is not requeued: on a quorum queue every requeue counts as a delivery, and
a job that only waited would end in the dead-letter queue after a few trainings elsewhere.
A database that cannot be reached (down, or out of connections) is ``Unavailable``: the
consumer tries again in place, without spending a delivery.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from frequenta_kit.database import database_unreachable
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

# pg_try_advisory_lock key of "a model is being trained": 'frqtrn' in ASCII.
TRAINING_LOCK_KEY = 0x66727174726E


class TrainingLock:
    def __init__(self, database_url: str, *, poll: float = 1.0) -> None:
        # No pool: closing the connection ends the session, which always releases the lock.
        self._engine = create_async_engine(database_url, poolclass=NullPool)
        self._poll = poll

    @asynccontextmanager
    async def _connected(self, job: str) -> AsyncIterator[AsyncConnection]:
        try:
            connection = await self._engine.connect()
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.warning("job %s cannot take the training lock now: %r", job, error)
            raise Unavailable(
                "DATABASE_UNAVAILABLE", "the churn database cannot be reached; retry shortly"
            ) from error
        try:
            yield connection
        finally:
            await connection.close()

    @asynccontextmanager
    async def held(self, job: str = "") -> AsyncIterator[None]:
        async with self._connected(job) as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            waiting = False
            while not await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": TRAINING_LOCK_KEY}
            ):
                if not waiting:
                    log.info("job %s waits: another worker is training a model", job)
                    waiting = True
                await asyncio.sleep(self._poll)
            try:
                yield
            finally:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": TRAINING_LOCK_KEY}
                )

    async def close(self) -> None:
        await self._engine.dispose()
