"""Integration fixtures: a fresh attendance database per test session (created from nothing by
the real init, dropped afterwards), the attendance gRPC server in-process on a free port, a
RabbitMQ virtual host of the session's own, and topologies of a test's own in it. Plain helpers
(URLs, settings, schema comparison) are in integration_support.py.

Tests share the database and never clean it: each one makes its own members (unique e-mails).
"""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from integration_support import (
    RABBITMQ_URL,
    attendance_test_settings,
    engine_of,
    own_database,
    unique_database_url,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server
from frequenta_attendance.settings import AttendanceSettings
from frequenta_db.attendance import init_attendance_database
from frequenta_kit.broker import Topology, connect
from frequenta_kit.database import drop_database
from frequenta_kit.grpc_server import GrpcServer
from frequenta_ops.stack import own_vhost, rabbitmqctl


@pytest.fixture
async def scratch_database_url() -> AsyncIterator[str]:
    """The URL of a database that does not exist yet; dropped after the test if it was made."""
    url = unique_database_url("frequenta_test_scratch")
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="session")
async def attendance_database_url() -> AsyncIterator[str]:
    async with own_database("frequenta_test", init_attendance_database) as url:
        yield url


@pytest.fixture(scope="session")
def attendance_settings(attendance_database_url: str) -> AttendanceSettings:
    return attendance_test_settings(attendance_database_url)


@pytest.fixture(scope="session")
async def attendance_engine(attendance_database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_of(attendance_database_url) as engine:
        yield engine


@pytest.fixture(scope="session")
async def attendance_server(
    attendance_settings: AttendanceSettings, attendance_engine: AsyncEngine
) -> AsyncIterator[GrpcServer]:
    server = build_server(attendance_settings, attendance_engine)
    await server.start()
    try:
        yield server
    finally:
        await server.stop(grace=0)


@pytest.fixture(scope="session")
async def attendance_channel(attendance_server: GrpcServer) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(attendance_server.address) as channel:
        yield channel


@pytest.fixture(scope="session")
def attendance(attendance_channel: grpc.aio.Channel) -> attendance_pb2_grpc.AttendanceServiceStub:
    return attendance_pb2_grpc.AttendanceServiceStub(attendance_channel)


# -- RabbitMQ ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionBroker:
    """Where this test session's messages go: ``url`` (with the session's virtual host) and
    ``namespace`` (the broker_namespace setting). ``vhost`` is None when rabbitmqctl could not
    make one: everything then lives in the server's default vhost under a unique namespace."""

    url: str
    namespace: str
    vhost: str | None

    @property
    def topology(self) -> Topology:
        return Topology(namespace=self.namespace)

    def close_connections(self, reason: str) -> None:
        """Have the broker close every connection to the session's vhost, as it does when it
        shuts down (connection.close with CONNECTION_FORCED)."""
        if self.vhost is None:
            pytest.skip("needs the session's own virtual host (rabbitmqctl)")
        assert rabbitmqctl("close_all_connections", "-p", self.vhost, reason)


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[SessionBroker]:
    """A virtual host of this session's own (``frequenta-test-<8 hex>``, deleted at the end,
    with everything in it), so two runs at once never share an exchange or a queue; if
    rabbitmqctl is not usable, a unique namespace in the default virtual host instead."""
    name = f"frequenta-test-{uuid.uuid4().hex[:8]}"
    with own_vhost(RABBITMQ_URL, name) as url:
        if url is not None:
            yield SessionBroker(url, "frequenta", name)
        else:
            yield SessionBroker(RABBITMQ_URL, name, None)


ScratchTopology = Callable[..., Topology]


@pytest.fixture
async def scratch_topology(rabbitmq: SessionBroker) -> AsyncIterator[ScratchTopology]:
    """``scratch_topology(*queues, **fields)``: a Topology under a namespace of the test's own,
    for use on ``rabbitmq.url``. After the test its exchanges, the queues named and their
    dead-letter queues are deleted."""
    made: list[tuple[Topology, tuple[str, ...]]] = []

    def make(*queues: str, **fields: Any) -> Topology:
        topology = Topology(namespace=f"test-{uuid.uuid4().hex[:8]}", **fields)
        made.append((topology, queues))
        return topology

    yield make
    connection = await connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        for topology, queues in made:
            for queue in queues:
                await channel.queue_delete(topology.queue(queue))
                await channel.queue_delete(topology.dead_letter_queue(queue))
            for exchange in (
                topology.work_exchange,
                topology.events_exchange,
                topology.dead_letter_exchange,
            ):
                await channel.exchange_delete(exchange)
