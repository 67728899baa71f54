"""Integration fixtures: a fresh attendance database per test session (created from nothing by
the real init, dropped afterwards) and the attendance gRPC server in-process on a free port.

Tests share the database and never clean it: each one makes its own members (unique e-mails).
"""

import os
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server
from frequenta_attendance.settings import AttendanceSettings
from frequenta_db.attendance import init_attendance_database
from frequenta_kit.database import create_engine, drop_database
from frequenta_kit.grpc_server import GrpcServer

SERVER_URL = os.environ.get(
    "FREQUENTA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


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
