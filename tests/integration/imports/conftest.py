"""Fixtures of the bulk-import tests: an attendance server cutting batches into small chunks,
the outbox relay and ingestion workers running in-process against the session's database and
RabbitMQ virtual host (each only for the test that asks, so other tests' outbox rows and
queues are left alone), and a member factory."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest
from imports_support import ago, ts
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_attendance.bootstrap import build_server
from frequenta_attendance.ingest import build_ingest_consumer
from frequenta_attendance.relay import Relay
from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit.consumer import WorkConsumer
from frequenta_kit.database import create_session_factory

# Small chunks, so a batch of a few rows already spans several work messages.
CHUNK_ROWS = 4


@pytest.fixture(scope="session")
def import_settings(attendance_settings: AttendanceSettings, rabbitmq) -> AttendanceSettings:
    return attendance_settings.model_copy(
        update={
            "rabbitmq_url": rabbitmq.url,
            "broker_namespace": rabbitmq.namespace,
            "import_chunk_rows": CHUNK_ROWS,
            "relay_poll_interval_seconds": 0.2,
            "relay_max_backoff_seconds": 0.5,
        }
    )


@pytest.fixture(scope="session")
async def importer(
    import_settings: AttendanceSettings, attendance_engine: AsyncEngine
) -> AsyncIterator[AttendanceServiceStub]:
    """An attendance server of its own (chunks of CHUNK_ROWS rows) and a stub on it."""
    server = build_server(import_settings, attendance_engine)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(
            server.address, options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]
        ) as channel:
            yield AttendanceServiceStub(channel)
    finally:
        await server.stop(grace=0)


StartRelay = Callable[[], Awaitable[Relay]]


@pytest.fixture
async def start_relay(
    import_settings: AttendanceSettings, attendance_engine: AsyncEngine
) -> AsyncIterator[StartRelay]:
    """``await start_relay()``: the outbox relay, running until the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    async def start() -> Relay:
        relay = Relay(import_settings, attendance_engine)
        stop = asyncio.Event()
        running.append((stop, asyncio.create_task(relay.run(stop))))
        return relay

    yield start
    for stop, _ in running:
        stop.set()
    async with asyncio.timeout(30):
        await asyncio.gather(*(task for _, task in running))


StartWorker = Callable[..., Awaitable[WorkConsumer]]


@pytest.fixture
async def start_worker(
    import_settings: AttendanceSettings, attendance_engine: AsyncEngine
) -> AsyncIterator[StartWorker]:
    """``await start_worker(**setting_overrides)``: an ingestion worker consuming until the test
    ends (start several for competing consumers)."""
    started: list[WorkConsumer] = []
    session_factory = create_session_factory(attendance_engine)

    async def start(**overrides: object) -> WorkConsumer:
        consumer = build_ingest_consumer(
            import_settings.model_copy(update=overrides), session_factory
        )
        await consumer.start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        await consumer.stop(grace=20)


@dataclass(frozen=True)
class Pipeline:
    """The relay and a worker are running."""

    relay: Relay
    worker: WorkConsumer


@pytest.fixture
async def pipeline(start_relay: StartRelay, start_worker: StartWorker) -> Pipeline:
    return Pipeline(await start_relay(), await start_worker())


@pytest.fixture(scope="session")
async def monthly_plan_id(importer: AttendanceServiceStub) -> int:
    plans = await importer.ListPlans(pb.ListPlansRequest())
    return next(plan.id for plan in plans.plans if plan.code == "mensal")


NewMember = Callable[..., Awaitable[pb.Member]]


@pytest.fixture
def new_member(importer: AttendanceServiceStub, monthly_plan_id: int) -> NewMember:
    """``await new_member(**fields)``: a member enrolled 400 days ago unless told otherwise."""

    async def register(**fields: object) -> pb.Member:
        request = pb.RegisterMemberRequest(
            name="Import Member",
            email=f"import-{uuid.uuid4().hex[:12]}@example.com",
            plan_id=monthly_plan_id,
            enrolled_at=fields.pop("enrolled_at", ts(ago(days=400))),  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )
        return (await importer.RegisterMember(request)).member

    return register
