"""The churn service in-process on a free port, with a fresh churn database and its own broker
namespace (both removed afterwards)."""

import os
import socket
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.churn.v1 import churn_pb2_grpc
from frequenta_churn.bootstrap import build_server
from frequenta_churn.retraining import RETRAINING_QUEUE
from frequenta_churn.settings import ChurnSettings
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import Topology, connect
from frequenta_kit.database import create_engine, drop_database
from frequenta_kit.publisher import WorkPublisher

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
SERVER_URL = os.environ.get(
    "FREQUENTA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


def unique_database_url(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def churn_database_url() -> AsyncIterator[str]:
    url = unique_database_url("frequenta_test_churn")
    await init_churn_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="session")
async def churn_engine(churn_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(churn_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def churn_topology() -> AsyncIterator[Topology]:
    topology = Topology(namespace=f"test-churn-{uuid.uuid4().hex[:8]}")
    yield topology
    connection = await connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        for queue in (
            topology.queue(RETRAINING_QUEUE),
            topology.dead_letter_queue(RETRAINING_QUEUE),
        ):
            await channel.queue_delete(queue)
        for exchange in (topology.work_exchange, topology.dead_letter_exchange):
            await channel.exchange_delete(exchange)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"amqp://guest:guest@127.0.0.1:{port}/"


async def _serve(engine: AsyncEngine, publisher: WorkPublisher) -> AsyncIterator[grpc.aio.Channel]:
    settings = ChurnSettings(churn_grpc_port=0)
    server = build_server(settings, engine, publisher)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield channel
    finally:
        await server.stop(grace=1)
        await publisher.close()


@pytest.fixture
async def churn_channel(
    churn_engine: AsyncEngine, churn_topology: Topology
) -> AsyncIterator[grpc.aio.Channel]:
    async for channel in _serve(churn_engine, WorkPublisher(RABBITMQ_URL, churn_topology)):
        yield channel


@pytest.fixture
def churn(churn_channel: grpc.aio.Channel) -> churn_pb2_grpc.ChurnServiceStub:
    return churn_pb2_grpc.ChurnServiceStub(churn_channel)


@pytest.fixture
async def churn_without_broker(
    churn_engine: AsyncEngine,
) -> AsyncIterator[churn_pb2_grpc.ChurnServiceStub]:
    publisher = WorkPublisher(closed_port_url(), Topology(), connect_timeout=1)
    async for channel in _serve(churn_engine, publisher):
        yield churn_pb2_grpc.ChurnServiceStub(channel)
