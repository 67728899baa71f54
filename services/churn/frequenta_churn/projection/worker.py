"""``python -m frequenta_churn worker projection``: the projection's consumer of attendance's
events, a :class:`~frequenta_kit.batch_consumer.BatchConsumer` on churn's own durable event
queue (``<namespace>.churn-projection``, bound for the types in ``facts.EVENT_TYPES``, with its
dead-letter queue and delivery limit). Run more processes to go faster: every merge commutes,
so competing consumers may apply one member's events in any order.

The events delivered and waiting (up to ``projection_batch_size``) are applied in one
transaction: one inbox claim for all their ids, one merge statement for their members and one
for their visits, one cache mark before the commit and one bump after it for all the members
concerned, then every message is acked. If that transaction fails, each event is applied
alone, in a transaction of its own, so that only a poison message fails (below).

Failures (of one event alone):
- an event that can never be applied (unreadable, inconsistent, unknown schema version) is
  dead-lettered at once with the reason in its ``x-frequenta-error`` header;
- the churn database unreachable, or a transaction aborted by a deadlock or a serialization
  failure: reported as Unavailable, which the consumer retries in place;
- anything else is requeued, and dead-lettered with its reason on its last allowed delivery.
"""

import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_churn.projection.facts import EVENT_TYPES, MalformedEvent
from frequenta_churn.projection.handlers import Outcome, apply_event, apply_events
from frequenta_churn.settings import ChurnSettings
from frequenta_churn.uow import SqlAlchemyUnitOfWork, UnitOfWork
from frequenta_kit.batch_consumer import BatchConsumer
from frequenta_kit.broker import event_queue
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.consumer import (
    PermanentFailure,
    WorkConsumer,
    WorkMessage,
    serve_until_signalled,
)
from frequenta_kit.database import create_engine, create_session_factory, database_unreachable
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

# Besides an unreachable database, a transaction PostgreSQL aborted (serialization failure,
# deadlock) is worth trying again.
_ABORTED_SQLSTATES = ("40001", "40P01")


def transient(error: BaseException) -> bool:
    return database_unreachable(error, also=_ABORTED_SQLSTATES)


@contextmanager
def _failures() -> Iterator[None]:
    """A malformed event as PermanentFailure, a transient database failure as Unavailable."""
    try:
        yield
    except MalformedEvent as error:
        raise PermanentFailure(f"malformed event: {error}") from None
    except Exception as error:
        if transient(error):
            raise Unavailable(
                "DATABASE_UNAVAILABLE", f"the churn database failed transiently: {error!r}"
            ) from error
        raise


@dataclass
class ProjectionHandler:
    """The consumer's handlers: one event in one transaction (``__call__``), or the events of
    a delivery batch in one transaction (``batch``). Counts what came of each event."""

    uow: Callable[[], UnitOfWork]
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    async def __call__(self, message: WorkMessage) -> None:
        with _failures():
            outcome = await apply_event(uow=self.uow(), body=message.body)
        self.outcomes[outcome] += 1
        log.debug("event %s %s", message.message_id, outcome)

    async def batch(self, messages: Sequence[WorkMessage]) -> None:
        with _failures():
            outcomes = await apply_events(uow=self.uow(), bodies=[m.body for m in messages])
        self.outcomes.update(outcomes)
        log.debug("batch of %d events: %s", len(messages), Counter(outcomes))


def build_projection_consumer(
    settings: ChurnSettings,
    session_factory: async_sessionmaker[AsyncSession],
    versions: CacheVersions | None = None,
) -> WorkConsumer:
    """The projection's consumer (not started): the events waiting are applied together, one
    transaction per delivery batch (one by one if that fails); each commit bumps the cache
    ``versions`` of the members it changed."""
    handler = ProjectionHandler(lambda: SqlAlchemyUnitOfWork(session_factory, versions))
    if settings.projection_batch_size == 1:  # one transaction per event, prefetch at once
        return WorkConsumer(
            settings.rabbitmq_url,
            settings.topology,
            settings.projection_queue,
            handler,
            prefetch=settings.projection_prefetch,
            declare_queue=event_queue(EVENT_TYPES),
        )
    return BatchConsumer(
        settings.rabbitmq_url,
        settings.topology,
        settings.projection_queue,
        handler,
        batch_handler=handler.batch,
        max_batch=settings.projection_batch_size,
        prefetch=settings.projection_prefetch,
        declare_queue=event_queue(EVENT_TYPES),
    )


async def run_projection_worker(settings: ChurnSettings) -> None:
    """Consume until SIGTERM/SIGINT, let the events in flight commit, exit."""
    engine = create_engine(settings.churn_database_url, pool_size=settings.projection_prefetch)
    try:
        async with CacheVersions.open(settings) as versions:
            consumer = build_projection_consumer(settings, create_session_factory(engine), versions)
            await serve_until_signalled([consumer], grace=settings.shutdown_grace_seconds)
    finally:
        await engine.dispose()
    log.info("projection worker stopped")
