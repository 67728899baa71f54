"""Helpers of every integration folder: where the test servers are, databases of a test's own
(and engines on them), the settings an in-process attendance server runs with, and comparing a
database with the ORM models. Fixtures built on them live in the folders' conftest.py."""

import asyncio
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit import database
from frequenta_kit.metrics import DEFAULT_METRICS_PORTS

SERVER_URL = os.environ.get(
    "FREQUENTA_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
# FREQUENTA_METRICS_PORTS of a process a test starts: metrics on a free port, whatever its kind
# (the kinds' default ports may be taken by a running system or another test run).
ANY_METRICS_PORT = json.dumps(dict.fromkeys(DEFAULT_METRICS_PORTS, 0))


def unique_database_url(prefix: str = "frequenta_test") -> str:
    """A URL on the test server naming a database no other run uses."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    return make_url(SERVER_URL).set(database=name).render_as_string(hide_password=False)


@asynccontextmanager
async def own_database(prefix: str, init: Callable[[str], Awaitable[None]]) -> AsyncIterator[str]:
    """The URL of a new database (``unique_database_url(prefix)``) made by ``init`` (e.g.
    ``init_attendance_database``, the real migrations); dropped afterwards."""
    url = unique_database_url(prefix)
    await init(url)
    try:
        yield url
    finally:
        await database.drop_database(url)


@asynccontextmanager
async def engine_of(url: str, **options: Any) -> AsyncIterator[AsyncEngine]:
    """The kit's async engine on ``url`` (``options`` as ``create_engine`` takes them), disposed
    afterwards."""
    engine = database.create_engine(url, **options)
    try:
        yield engine
    finally:
        await engine.dispose()


def closed_port() -> str:
    """``127.0.0.1:<port>`` where nothing listens (a server that is away)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def attendance_test_settings(database_url: str) -> AttendanceSettings:
    """An attendance server on ``database_url``, on a free port, with the gym rules the RPC tests
    are written for (São Paulo, 5 minutes of clock skew, visits of at most 6 hours)."""
    return AttendanceSettings(
        attendance_database_url=database_url,
        attendance_grpc_port=0,
        gym_timezone="America/Sao_Paulo",
        clock_skew_seconds=300,
        max_visit_hours=6,
    )


def _differences(url: str, metadata: MetaData) -> list:
    engine = create_engine(database.sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


async def schema_differences(url: str, metadata: MetaData) -> list:
    """What alembic's autogenerate finds between the database at ``url`` and ``metadata``
    (types and server defaults included): [] when the migrations match the models."""
    return await asyncio.to_thread(_differences, url, metadata)
