"""Async SQLAlchemy engine and session factory, and the helpers that create a database."""

import time
from typing import Any

import asyncpg
from sqlalchemy import event, make_url, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# A pooled connection idle for longer than this is pinged before it is handed out (see
# create_engine); one in steady use is not.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "frequenta_idle_since"


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """An engine whose pool hands out only connections that work: one that sat idle for more
    than PING_AFTER_IDLE_SECONDS (through a database restart, say) is pinged first and, if the
    ping fails, the pool's connections are replaced, as SQLAlchemy's ``pool_pre_ping`` does.
    Unlike ``pool_pre_ping``, a connection in steady use is not pinged: with asyncpg a ping is
    three round trips (BEGIN, an empty query, ROLLBACK), a quarter of a check-in's statements
    (docs/http-load.md). A connection that broke less than a second after its last use fails
    its next statement instead, which surfaces as DATABASE_UNAVAILABLE (retryable).

    The pool is LIFO, so under a light load the same few connections serve and stay unpinged.
    ``max_overflow`` connections beyond ``pool_size`` are opened when every pooled one is in
    use and closed as soon as they are returned: a server under steady concurrency above
    ``pool_size`` opens and closes a connection (a new PostgreSQL backend) every few requests,
    so a server should rather size its pool for its concurrency with ``max_overflow=0``."""
    # hide_parameters: a failed statement's error (and so any traceback logged) names the SQL
    # but not its values, which may be personal data (docs/personal-data.md).
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_use_lifo=True,
        hide_parameters=True,
    )
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: AsyncEngine) -> None:
    pool, dialect = engine.sync_engine.pool, engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def _note_idle(dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one returned a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool invalidates this connection and every older one, then tries a new one.
            raise sa_exc.InvalidatePoolError(f"ping after idle failed: {error!r}") from error


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
