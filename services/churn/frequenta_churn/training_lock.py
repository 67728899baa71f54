"""One retraining at a time across every retrain worker: a PostgreSQL session advisory lock on
churn's database, held for the whole job on a connection of its own (outside any pool and any
transaction), so a worker that dies releases it with its connection.

A job that finds the lock taken waits for it, checking every ``poll`` seconds, with its message
held (prefetch 1). It is not requeued: on a quorum queue every requeue counts as a delivery, and
a job that only waited would end in the dead-letter queue after a few trainings elsewhere.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

# pg_try_advisory_lock key of "a model is being trained": 'frqtrn' in ASCII.
TRAINING_LOCK_KEY = 0x66727174726E


class TrainingLock:
    def __init__(self, database_url: str, *, poll: float = 1.0) -> None:
        # No pool: closing the connection ends the session, which always releases the lock.
        self._engine = create_async_engine(database_url, poolclass=NullPool)
        self._poll = poll

    @asynccontextmanager
    async def held(self, job: str = "") -> AsyncIterator[None]:
        async with self._engine.connect() as connection:
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
