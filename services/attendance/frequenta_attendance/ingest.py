"""The ingestion worker, ``python -m frequenta_attendance worker ingest``: a competing consumer
(``frequenta_kit.consumer.WorkConsumer``) of the bulk-import queue that processes each chunk
with ``handlers.imports.process_chunk``; run more processes to go faster.

Failures (the consumer acks only after the chunk's transaction committed):
- a body that is not a chunk, or a chunk of an unknown job, can never succeed: dead-lettered
  at once (the job, when known, is marked FAILED);
- the database unreachable (Unavailable): the consumer calls the handler again in place, the
  delivery held, until it is back (up to its patience);
- anything else is requeued; on the chunk's last allowed delivery its job is marked FAILED and
  the consumer dead-letters it with the reason. A dead-lettered chunk is not marked processed:
  sent back to the queue, it is processed then.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_attendance import chunks
from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.clock import Clock, system_clock
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.handlers import imports
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork, UnitOfWork
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.consumer import (
    PermanentFailure,
    WorkConsumer,
    WorkMessage,
    serve_until_signalled,
)
from frequenta_kit.database import create_engine, create_session_factory
from frequenta_kit.errors import NotFound, Unavailable

log = logging.getLogger(__name__)


@dataclass
class ChunkHandler:
    """The WorkConsumer handler of the bulk-import queue."""

    uow: Callable[[], UnitOfWork]
    rules: GymRules
    delivery_limit: int
    clock: Clock = system_clock

    async def __call__(self, message: WorkMessage) -> None:
        try:
            chunk = chunks.decode(message.body)
        except chunks.MalformedChunk as error:
            await self._fail_job(message.headers.get("job_id"), f"unreadable chunk: {error}")
            raise PermanentFailure(f"malformed chunk: {error}") from None
        try:
            await imports.process_chunk(
                uow=self.uow(), clock=self.clock, rules=self.rules, chunk=chunk
            )
        except NotFound as error:
            raise PermanentFailure(error.message) from None
        except Unavailable:
            raise  # the consumer waits for the database in place
        except Exception as error:
            if message.delivery_count + 1 >= self.delivery_limit:
                reason = f"chunk {chunk.number} failed {message.delivery_count + 1} times: {error}"
                await self._fail_job(str(chunk.job_id), reason)
            raise

    async def _fail_job(self, job_id: object, reason: str) -> None:
        try:
            parsed = uuid.UUID(str(job_id))
        except ValueError:
            return
        try:
            await imports.fail_job(uow=self.uow(), clock=self.clock, job_id=parsed, error=reason)
        except Exception:
            log.exception("could not mark import job %s failed", parsed)


def build_ingest_consumer(
    settings: AttendanceSettings,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    clock: Clock = system_clock,
    versions: CacheVersions | None = None,
) -> WorkConsumer:
    """The consumer of the bulk-import queue (not started); each committed chunk bumps the
    cache ``versions`` of its members."""
    handler = ChunkHandler(
        uow=lambda: SqlAlchemyUnitOfWork(session_factory, versions),
        rules=gym_rules(settings),
        delivery_limit=settings.topology.delivery_limit,
        clock=clock,
    )
    return WorkConsumer(
        settings.rabbitmq_url,
        settings.topology,
        chunks.QUEUE,
        handler,
        prefetch=settings.ingest_prefetch,
    )


async def run_ingest_worker(settings: AttendanceSettings) -> None:
    """Consume the bulk-import queue until SIGTERM/SIGINT, then let chunks in flight finish."""
    engine = create_engine(settings.attendance_database_url, pool_size=settings.ingest_prefetch + 1)
    try:
        async with CacheVersions.open(settings) as versions:
            consumer = build_ingest_consumer(
                settings, create_session_factory(engine), versions=versions
            )
            await serve_until_signalled([consumer], grace=settings.shutdown_grace_seconds)
    finally:
        await engine.dispose()
