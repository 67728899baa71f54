"""CPU per event of churn's projection consumer, one transaction per event against one per
delivery batch, on the local PostgreSQL, RabbitMQ and Redis (docs/churn.md, "Delivery batches").

For each configuration: a churn database of its own (the real migrations), a queue of its own
under a broker namespace of its own, N ``checkin.recorded`` events of M members (plus their
registrations) waiting in the queue; then the real consumer (``build_projection_consumer``, cache
versions bumped in Redis under a key prefix of its own) starts and applies them all. Timed from
its start until every event is applied: events/s and this process's CPU per event (only the
consumer runs meanwhile), with PostgreSQL's backends of the database.

    python bench/projection.py [--events 5000] [--members 500] [--prefetch 16]
                               [--batch-sizes 1,64] [--runs 1]

``--batch-sizes 1`` is the consumer before delivery batches (one transaction per event, up to
the prefetch at once). With a backlog the batches are as large as the prefetch lets them be;
under a live flow they are what arrived while the previous batch committed.
"""

import argparse
import asyncio
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aio_pika
from cpu_time import backend_pids, cpu_by_name
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import make_url

from frequenta.events.v1 import events_pb2 as ev
from frequenta_churn.projection.handlers import Outcome
from frequenta_churn.projection.worker import ProjectionHandler, build_projection_consumer
from frequenta_churn.settings import ChurnSettings
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import connect, declare_events_exchange
from frequenta_kit.cache_versions import CacheVersions
from frequenta_kit.database import create_engine, create_session_factory, drop_database

SERVER_URL = os.environ.get(
    "FREQUENTA_BENCH_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("FREQUENTA_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class Result:
    batch_size: int
    events: int
    seconds: float
    cpu: float  # this process
    postgres: float


def stamp(instant: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(instant)
    return value


def events(count: int, members: int) -> list[ev.EventEnvelope]:
    """Registrations of ``members`` members, then ``count`` check-ins spread over them."""
    base = 10**12 + uuid.uuid4().int % 10**10
    now = datetime.now(UTC).replace(microsecond=0)
    made = [
        ev.EventEnvelope(
            event_id=str(uuid.uuid4()),
            event_type="member.registered",
            occurred_at=stamp(now),
            schema_version=1,
            member_id=base + m,
            member_registered=ev.MemberRegistered(
                member_id=base + m,
                plan_id=1,
                plan_code="mensal",
                plan_duration_months=1,
                enrolled_at=stamp(now - timedelta(days=400)),
            ),
        )
        for m in range(members)
    ]
    for n in range(count):
        member = base + n % members
        made.append(
            ev.EventEnvelope(
                event_id=str(uuid.uuid4()),
                event_type="checkin.recorded",
                occurred_at=stamp(now),
                schema_version=1,
                member_id=member,
                check_in_recorded=ev.CheckInRecorded(
                    visit_id=base * 10 + n,
                    member_id=member,
                    entered_at=stamp(now - timedelta(hours=n)),
                ),
            )
        )
    return made


async def publish(settings: ChurnSettings, made: list[ev.EventEnvelope]) -> None:
    connection = await connect(settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await declare_events_exchange(channel, settings.topology)
        for start in range(0, len(made), 500):
            await asyncio.gather(
                *(
                    exchange.publish(
                        aio_pika.Message(
                            event.SerializeToString(),
                            message_id=event.event_id,
                            type=event.event_type,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=event.event_type,
                    )
                    for event in made[start : start + 500]
                )
            )


async def measure(args: argparse.Namespace, batch_size: int) -> Result:
    name = f"frequenta_bench_projection_{uuid.uuid4().hex[:8]}"
    url = make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)
    await init_churn_database(url)
    tag = uuid.uuid4().hex[:8]
    settings = ChurnSettings(
        churn_database_url=url,
        rabbitmq_url=RABBITMQ_URL,
        redis_url=REDIS_URL,
        broker_namespace=f"bench-projection-{tag}",
        redis_key_prefix=f"bench-projection-{tag}",
        projection_prefetch=args.prefetch,
        projection_batch_size=batch_size,
    )
    engine = create_engine(url, pool_size=args.prefetch)
    try:
        async with CacheVersions.open(settings) as versions:
            await versions.bump_generation()
            factory = create_session_factory(engine)
            declaring = build_projection_consumer(settings, factory, versions)
            await declaring.start()  # declares and binds the queue
            await declaring.stop()
            made = events(args.events, args.members)
            await publish(settings, made)
            consumer = build_projection_consumer(settings, factory, versions)
            handler = consumer.handler
            assert isinstance(handler, ProjectionHandler)
            dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            started, cpu_started = time.monotonic(), time.process_time()
            await consumer.start()
            await asyncio.sleep(0.2)
            backends = {pid: "postgres" for pid in await backend_pids(dsn)}
            before = cpu_by_name(backends)
            while handler.outcomes[Outcome.APPLIED] < len(made):  # noqa: ASYNC110 (polls)
                await asyncio.sleep(0.05)
            seconds, cpu = time.monotonic() - started, time.process_time() - cpu_started
            after = cpu_by_name(backends)
            await consumer.stop()
            return Result(
                batch_size,
                len(made),
                seconds,
                cpu,
                after.get("postgres", 0.0) - before.get("postgres", 0.0),
            )
    finally:
        await engine.dispose()
        await drop_database(url)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--prefetch", type=int, default=16)
    parser.add_argument("--batch-sizes", default="1,64")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    sizes = [int(size) for size in args.batch_sizes.split(",")]
    results = [await measure(args, size) for _ in range(args.runs) for size in sizes]
    print(
        f"\nProjection consumer ({args.events:,} check-ins and {args.members:,} registrations"
        f" waiting, prefetch {args.prefetch}, {os.cpu_count()} CPUs,"
        f" load average {os.getloadavg()[0]:.1f})"
    )
    print(" batch size  events/s  CPU µs/event: consumer  postgres (from 0.2 s on)")
    for r in results:
        print(
            f" {r.batch_size:>10} {r.events / r.seconds:>9,.0f}"
            f" {r.cpu / r.events * 1e6:>22.0f} {r.postgres / r.events * 1e6:>9.0f}"
        )


if __name__ == "__main__":
    asyncio.run(main())
