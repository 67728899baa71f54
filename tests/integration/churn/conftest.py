"""The churn service in-process on a free port, with a fresh churn database and its own broker
namespace (both removed afterwards)."""

from collections.abc import AsyncIterator

import grpc
import pytest
from integration_support import closed_port, engine_of, own_database
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.churn.v1 import churn_pb2_grpc
from frequenta_churn.bootstrap import build_server
from frequenta_churn.retraining import RETRAINING_QUEUE
from frequenta_churn.settings import ChurnSettings
from frequenta_db.churn import init_churn_database
from frequenta_kit.broker import Topology
from frequenta_kit.publisher import WorkPublisher


@pytest.fixture(scope="session")
async def churn_database_url() -> AsyncIterator[str]:
    async with own_database("frequenta_test_churn", init_churn_database) as url:
        yield url


@pytest.fixture(scope="session")
async def churn_engine(churn_database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_of(churn_database_url) as engine:
        yield engine


@pytest.fixture
def churn_topology(scratch_topology) -> Topology:
    """The namespace churn's server queues retraining jobs under (on ``rabbitmq.url``)."""
    return scratch_topology(RETRAINING_QUEUE)


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
    churn_engine: AsyncEngine, churn_topology: Topology, rabbitmq
) -> AsyncIterator[grpc.aio.Channel]:
    async for channel in _serve(churn_engine, WorkPublisher(rabbitmq.url, churn_topology)):
        yield channel


@pytest.fixture
def churn(churn_channel: grpc.aio.Channel) -> churn_pb2_grpc.ChurnServiceStub:
    return churn_pb2_grpc.ChurnServiceStub(churn_channel)


@pytest.fixture
async def churn_without_broker(
    churn_engine: AsyncEngine,
) -> AsyncIterator[churn_pb2_grpc.ChurnServiceStub]:
    closed = f"amqp://guest:guest@{closed_port()}/"
    publisher = WorkPublisher(closed, Topology(), connect_timeout=1)
    async for channel in _serve(churn_engine, publisher):
        yield churn_pb2_grpc.ChurnServiceStub(channel)
