"""Unit of work: one transaction around a use case.

    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        ...
        await uow.commit()

Leaving the block without ``commit`` rolls back. A unit of work can be entered again (a new
transaction each time), which is how a use case retries or streams in batches. Everything a use
case writes, its state changes and the outbox rows reporting them (``uow.outbox``), goes
through the same session, hence one transaction: an event is stored if and only if its change is.

A database that cannot be reached (refused, dropped or timed-out connections, server shutting
down) surfaces as the domain error Unavailable, which clients may retry; other failures pass.
"""

import logging
from types import TracebackType
from typing import Protocol, Self

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_attendance.import_repository import ImportRepository
from frequenta_attendance.outbox import OutboxRepository
from frequenta_attendance.reports.repository import ReportRepository
from frequenta_attendance.repository import MemberRepository, PlanRepository, VisitRepository
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

# SQLSTATE classes meaning "not reachable now": connection exceptions, insufficient resources
# (too many connections), operator intervention (shutdown, starting up); and a missing database.
_UNREACHABLE_SQLSTATES = ("08", "53", "57P", "3D000")


def database_unreachable(error: BaseException) -> bool:
    if isinstance(error, OSError | sa_exc.TimeoutError | sa_exc.InterfaceError):
        return True
    # Raised by asyncpg itself, not through SQLAlchemy (the bulk import's COPY, import_staging).
    if isinstance(error, asyncpg.InterfaceError):
        return True
    if isinstance(error, asyncpg.PostgresError):
        return (getattr(error, "sqlstate", None) or "").startswith(_UNREACHABLE_SQLSTATES)
    if isinstance(error, sa_exc.DBAPIError):
        sqlstate = getattr(error.orig, "sqlstate", None) or ""
        return error.connection_invalidated or sqlstate.startswith(_UNREACHABLE_SQLSTATES)
    return False


def _unavailable(cause: BaseException) -> Unavailable:
    log.warning("attendance database unreachable: %r", cause)
    return Unavailable(
        "DATABASE_UNAVAILABLE", "the attendance database cannot be reached; retry shortly"
    )


class UnitOfWork(Protocol):
    plans: PlanRepository
    members: MemberRepository
    visits: VisitRepository
    outbox: OutboxRepository
    reports: ReportRepository
    imports: ImportRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        self._session = self._session_factory()
        self.plans = PlanRepository(self._session)
        self.members = MemberRepository(self._session)
        self.visits = VisitRepository(self._session)
        self.outbox = OutboxRepository(self._session)
        self.reports = ReportRepository(self._session)
        self.imports = ImportRepository(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            # Ends the transaction, rolling back whatever was not committed. Unlike rollback(),
            # it leaves the loaded objects readable (detached), which is what use cases return.
            await session.close()
        except Exception as close_error:
            if exc is not None:
                log.debug("closing the session after %r also failed: %r", exc, close_error)
            elif database_unreachable(close_error):
                raise _unavailable(close_error) from close_error
            else:
                raise
        if exc is not None and database_unreachable(exc):
            raise _unavailable(exc) from exc

    async def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit outside 'async with uow'")
        await self._session.commit()
