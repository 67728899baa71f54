"""Unit of work: one transaction around a use case.

    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        ...
        await uow.commit()

Leaving the block without ``commit`` rolls back. A unit of work can be entered again (a new
transaction each time), which is how a use case retries or streams in batches. Everything a use
case writes (state now, outbox rows later) goes through the same session, hence one transaction.
"""

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_attendance.repository import MemberRepository, PlanRepository, VisitRepository


class UnitOfWork(Protocol):
    plans: PlanRepository
    members: MemberRepository
    visits: VisitRepository

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
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            # Ends the transaction, rolling back whatever was not committed. Unlike rollback(),
            # it leaves the loaded objects readable (detached), which is what use cases return.
            await session.close()

    async def commit(self) -> None:
        if self._session is None:
            raise RuntimeError("commit outside 'async with uow'")
        await self._session.commit()
