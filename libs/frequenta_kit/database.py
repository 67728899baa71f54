"""Async SQLAlchemy engine and session factory, and the helpers that create a database."""

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # hide_parameters: a failed statement's error (and so any traceback logged) names the SQL
    # but not its values, which may be personal data (docs/personal-data.md).
    return create_async_engine(url, pool_size=pool_size, pool_pre_ping=True, hide_parameters=True)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def sync_url(url: str) -> URL:
    """The same database through psycopg (for Alembic and administrative statements)."""
    return make_url(url).set(drivername="postgresql+psycopg")


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist; True if it was created."""
    target = make_url(url)
    admin = create_async_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_size=1
    )
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if exists:
                return False
            await conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return True
    finally:
        await admin.dispose()


async def drop_database(url: str) -> None:
    """Drop the database named in ``url`` (closing its connections first)."""
    target = make_url(url)
    admin = create_async_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_size=1
    )
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


# SQLSTATE classes meaning "not reachable now": connection exceptions, insufficient resources
# (too many connections), operator intervention (shutdown, starting up); and a missing database.
UNREACHABLE_SQLSTATES = ("08", "53", "57P", "3D000")


def database_unreachable(error: BaseException, *, also: tuple[str, ...] = ()) -> bool:
    """Whether ``error`` means the database cannot be reached now (worth retrying), through
    SQLAlchemy or raised by asyncpg itself; ``also`` adds SQLSTATE prefixes (e.g. deadlocks)."""
    states = UNREACHABLE_SQLSTATES + also
    if isinstance(error, OSError | sa_exc.TimeoutError | sa_exc.InterfaceError):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return (getattr(error, "sqlstate", None) or "").startswith(states)
    if isinstance(error, sa_exc.DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return error.connection_invalidated or sqlstate.startswith(states)
    return False
