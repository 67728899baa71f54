"""Fixtures of the projection tests: churn databases made from nothing by the real migrations
(dropped afterwards), projection consumers on the session's RabbitMQ virtual host (each on a
queue of its own, deleted afterwards), a channel to publish events with, and attendance with
its relay and ingestion worker publishing real events (only for the test that asks)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import grpc
import pytest
from aio_pika.abc import AbstractChannel
from integration_support import engine_of, own_database, unique_database_url
from projection_support import projection_settings
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_attendance.bootstrap import build_server as build_attendance_server
from frequenta_attendance.ingest import build_ingest_consumer
from frequenta_attendance.relay import Relay
from frequenta_attendance.settings import AttendanceSettings
from frequenta_churn.projection.worker import ProjectionHandler, build_projection_consumer
from frequenta_churn.settings import ChurnSettings
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import connect
from frequenta_kit.consumer import WorkConsumer
from frequenta_kit.database import create_engine, create_session_factory, drop_database


@dataclass(frozen=True)
class ChurnDatabase:
    url: str
    engine: AsyncEngine


NewDatabase = Callable[[], Awaitable[ChurnDatabase]]


@pytest.fixture
async def new_churn_database() -> AsyncIterator[NewDatabase]:
    """``await new_churn_database()``: a migrated, empty churn database on the test server."""
    made: list[ChurnDatabase] = []

    async def new() -> ChurnDatabase:
        url = unique_database_url("frequenta_test_projection")
        await init_churn_database(url)
        made.append(ChurnDatabase(url, create_engine(url, pool_size=4)))
        return made[-1]

    yield new
    for database in made:
        await database.engine.dispose()
        await drop_database(database.url)


@pytest.fixture(scope="session")
async def shared_churn_database() -> AsyncIterator[ChurnDatabase]:
    """One churn database for the consumer tests (each uses member ids of its own)."""
    async with (
        own_database("frequenta_test_projection", init_churn_database) as url,
        engine_of(url, pool_size=4) as engine,
    ):
        yield ChurnDatabase(url, engine)


@dataclass(frozen=True)
class RunningProjection:
    settings: ChurnSettings
    consumer: WorkConsumer

    @property
    def handler(self) -> ProjectionHandler:
        assert isinstance(self.consumer.handler, ProjectionHandler)
        return self.consumer.handler


StartProjection = Callable[..., Awaitable[RunningProjection]]


@pytest.fixture
async def start_projection(rabbitmq) -> AsyncIterator[StartProjection]:
    """``await start_projection(database, **setting_overrides)``: a projection consumer running
    until the test ends; its queues are deleted afterwards."""
    running: list[tuple[RunningProjection, AsyncEngine]] = []

    async def start(database: ChurnDatabase, **overrides: object) -> RunningProjection:
        settings = overrides.pop("settings", None) or projection_settings(
            rabbitmq, database.url, **overrides
        )
        assert isinstance(settings, ChurnSettings)
        engine = create_engine(settings.churn_database_url, pool_size=settings.projection_prefetch)
        consumer = build_projection_consumer(settings, create_session_factory(engine))
        await consumer.start()
        running.append((RunningProjection(settings, consumer), engine))
        return running[-1][0]

    yield start
    for projection, engine in running:
        await projection.consumer.stop(grace=10)
        await engine.dispose()
    connection = await connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        for projection, _ in running:
            topology, name = projection.settings.topology, projection.settings.projection_queue
            for queue in (topology.queue(name), topology.dead_letter_queue(name)):
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)


@pytest.fixture
async def events_channel(rabbitmq) -> AsyncIterator[AbstractChannel]:
    """A channel with publisher confirms on the session's virtual host."""
    connection = await connect(rabbitmq.url)
    async with connection:
        yield await connection.channel(publisher_confirms=True)


# -- attendance, publishing its events -----------------------------------------------------------


@dataclass(frozen=True)
class AttendancePipeline:
    """Attendance serving on ``address``, its relay publishing the outbox to the session's
    virtual host, and an ingestion worker taking bulk imports."""

    stub: AttendanceServiceStub
    address: str


@pytest.fixture(scope="session")
def publishing_attendance_settings(
    attendance_settings: AttendanceSettings, rabbitmq
) -> AttendanceSettings:
    return attendance_settings.model_copy(
        update={
            "rabbitmq_url": rabbitmq.url,
            "broker_namespace": rabbitmq.namespace,
            "import_chunk_rows": 7,
            "relay_poll_interval_seconds": 0.2,
            "relay_max_backoff_seconds": 0.5,
        }
    )


@pytest.fixture
async def attendance_pipeline(
    publishing_attendance_settings: AttendanceSettings, attendance_engine: AsyncEngine
) -> AsyncIterator[AttendancePipeline]:
    settings = publishing_attendance_settings
    server = build_attendance_server(settings, attendance_engine)
    await server.start()
    stop = asyncio.Event()
    relay = asyncio.create_task(Relay(settings, attendance_engine).run(stop))
    worker = build_ingest_consumer(settings, create_session_factory(attendance_engine))
    await worker.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield AttendancePipeline(AttendanceServiceStub(channel), server.address)
    finally:
        await worker.stop(grace=10)
        stop.set()
        async with asyncio.timeout(30):
            await relay
        await server.stop(grace=0)
