"""The kit's engine (frequenta_kit.database.create_engine) on the real PostgreSQL: a connection in
steady use is handed out without a ping; one idle for longer than PING_AFTER_IDLE_SECONDS is
pinged first, and one whose server side went away meanwhile is replaced before the caller sees
it; a pool without overflow never opens more than its size."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from integration_support import engine_of
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_kit import database


@pytest.fixture
async def engine(attendance_database_url: str) -> AsyncIterator[AsyncEngine]:
    async with engine_of(attendance_database_url, pool_size=2) as made:
        yield made


@pytest.fixture
def pings(engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every ping the engine's dialect makes (one entry each)."""
    made: list[int] = []
    dialect = engine.sync_engine.dialect
    real_ping = dialect.do_ping

    def counting_ping(dbapi_connection: Any) -> bool:
        made.append(1)
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting_ping)
    return made


async def backend_pid(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def test_a_connection_in_steady_use_is_not_pinged(
    engine: AsyncEngine, pings: list[int]
) -> None:
    first = await backend_pid(engine)
    for _ in range(5):
        assert await backend_pid(engine) == first  # LIFO: the same connection each time
    assert pings == []


async def test_an_idle_connection_is_pinged_and_a_dead_one_replaced(
    engine: AsyncEngine,
    pings: list[int],
    attendance_engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = await backend_pid(engine)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
    await asyncio.sleep(0.1)
    assert await backend_pid(engine) == first  # alive: pinged, then used
    assert pings == [1]

    async with attendance_engine.connect() as admin:
        assert await admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    await asyncio.sleep(0.1)
    replaced = await backend_pid(engine)  # no error: the ping found it dead
    assert replaced != first
    assert len(pings) == 2


async def test_a_pool_without_overflow_keeps_its_size(attendance_database_url: str) -> None:
    async with engine_of(attendance_database_url, pool_size=2, max_overflow=0) as engine:

        async def hold() -> int:
            async with engine.connect() as connection:
                pid = int(await connection.scalar(text("SELECT pg_backend_pid()")))
                await asyncio.sleep(0.05)
                return pid

        pids = await asyncio.gather(*(hold() for _ in range(6)))
        assert len(set(pids)) == 2
