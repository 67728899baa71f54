"""Fixtures of the daily report tests. Reports add up the whole gym's day, so these tests keep
to databases of their own: one for the session (each test on dates no other test touches),
served by an in-process attendance server whose clock the tests can set, and a fresh one per
scheduler test (the scheduler looks at every date of the gym)."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import grpc
import pytest
from integration_support import attendance_test_settings, engine_of, own_database
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server
from frequenta_attendance.settings import AttendanceSettings
from frequenta_db.attendance import init_attendance_database


class SettableClock:
    """The real time, unless a test sets ``now``."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or datetime.now(UTC)


@pytest.fixture(scope="session")
async def reports_database_url() -> AsyncIterator[str]:
    async with own_database("frequenta_test_reports", init_attendance_database) as url:
        yield url


@pytest.fixture(scope="session")
def reports_settings(reports_database_url: str) -> AttendanceSettings:
    return attendance_test_settings(reports_database_url)


@pytest.fixture(scope="session")
async def reports_engine(reports_database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_of(reports_database_url) as engine:
        yield engine


@pytest.fixture(scope="session")
def session_clock() -> SettableClock:
    return SettableClock()


@pytest.fixture
def clock(session_clock: SettableClock) -> Iterator[SettableClock]:
    """The reports server's clock; back to the real time after the test."""
    yield session_clock
    session_clock.now = None


@pytest.fixture(scope="session")
async def reports(
    reports_settings: AttendanceSettings, reports_engine: AsyncEngine, session_clock: SettableClock
) -> AsyncIterator[attendance_pb2_grpc.AttendanceServiceStub]:
    """A stub of an attendance server on the reports database."""
    server = build_server(reports_settings, reports_engine, clock=session_clock)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield attendance_pb2_grpc.AttendanceServiceStub(channel)
    finally:
        await server.stop(grace=0)


@pytest.fixture
async def fresh_database_url(scratch_database_url: str) -> str:
    """A migrated attendance database of the test's own (default plans only), dropped after."""
    await init_attendance_database(scratch_database_url)
    return scratch_database_url


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_of(fresh_database_url) as engine:
        yield engine
