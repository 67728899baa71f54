"""Integration fixtures: a fresh attendance database per test session (created from nothing by
the real init, dropped afterwards), the attendance gRPC server in-process on a free port, and a
RabbitMQ virtual host of the session's own.

Tests share the database and never clean it: each one makes its own members (unique e-mails).
"""

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import grpc
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from yarl import URL

from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server
from frequenta_attendance.settings import AttendanceSettings
from frequenta_db.attendance import init_attendance_database
from frequenta_kit.broker import Topology
from frequenta_kit.database import create_engine, drop_database
from frequenta_kit.grpc_server import GrpcServer

SERVER_URL = os.environ.get(
    "FREQUENTA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def unique_database_url(prefix: str = "frequenta_test") -> str:
    """A URL on the test server naming a database no other run uses."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


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
    url = unique_database_url()
    await init_attendance_database(url)
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture(scope="session")
def attendance_settings(attendance_database_url: str) -> AttendanceSettings:
    return AttendanceSettings(
        attendance_database_url=attendance_database_url,
        attendance_grpc_port=0,
        gym_timezone="America/Sao_Paulo",
        clock_skew_seconds=300,
        max_visit_hours=6,
    )


@pytest.fixture(scope="session")
async def attendance_engine(attendance_database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(attendance_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


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


def rabbitmqctl(*args: str) -> bool:
    """Run ``rabbitmqctl args``; False when it is missing or fails (e.g. not run as root)."""
    if shutil.which("rabbitmqctl") is None:
        return False
    try:
        done = subprocess.run(
            ["rabbitmqctl", "-q", *args], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[SessionBroker]:
    """A virtual host of this session's own (``frequenta-test-<8 hex>``, deleted at the end,
    with everything in it), so two runs at once never share an exchange or a queue; if
    rabbitmqctl is not usable, a unique namespace in the default virtual host instead."""
    suffix = uuid.uuid4().hex[:8]
    base = URL(RABBITMQ_URL)
    vhost = f"frequenta-test-{suffix}"
    if rabbitmqctl("add_vhost", vhost) and rabbitmqctl(
        "set_permissions", "-p", vhost, base.user or "guest", ".*", ".*", ".*"
    ):
        try:
            yield SessionBroker(str(base.with_path(f"/{vhost}")), "frequenta", vhost)
        finally:
            rabbitmqctl("delete_vhost", vhost)
    else:
        rabbitmqctl("delete_vhost", vhost)
        yield SessionBroker(RABBITMQ_URL, f"frequenta-test-{suffix}", None)
