"""Unit of work: one transaction around a use case.

    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        ...
        await uow.commit()

Leaving the block without ``commit`` rolls back. A unit of work can be entered again (a new
transaction each time), which is how a use case retries or streams in batches. Everything a use
case writes, its state changes and the outbox rows reporting them (``uow.outbox``), goes
through the same session, hence one transaction: an event is stored if and only if its change is.

A database that cannot be reached surfaces as the domain error Unavailable (frequenta_kit.uow).

The members its events are about are marked as being written just before the commit (the
gateway then neither serves nor stores their answers), and right after it get their cache
versions bumped (and the at-risk list's with a cancellation or an erasure) and the marks
lifted, so the gateway's cached answers about them become unreachable (docs/cache.md). A unit
of work built without ``versions`` bumps nothing.
"""

from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_attendance.alerts_repository import AlertRepository
from frequenta_attendance.import_repository import ImportRepository
from frequenta_attendance.outbox import OutboxRepository
from frequenta_attendance.outcomes_repository import OutcomeRepository
from frequenta_attendance.reports.repository import ReportRepository
from frequenta_attendance.repository import MemberRepository, PlanRepository, VisitRepository
from frequenta_attendance.user_repository import UserRepository
from frequenta_kit.cache_versions import CacheVersions, commit_and_bump
from frequenta_kit.uow import SessionUnitOfWork


class UnitOfWork(Protocol):
    plans: PlanRepository
    members: MemberRepository
    visits: VisitRepository
    outbox: OutboxRepository
    reports: ReportRepository
    imports: ImportRepository
    users: UserRepository
    alerts: AlertRepository
    outcomes: OutcomeRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class SqlAlchemyUnitOfWork(SessionUnitOfWork):
    database_label = "attendance"

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        versions: CacheVersions | None = None,
    ) -> None:
        super().__init__(session_factory)
        self._versions = versions

    async def commit(self) -> None:
        outbox = self.outbox
        changed, outbox.changed_members = outbox.changed_members, set()
        list_changed, outbox.risk_list_changed = outbox.risk_list_changed, False
        await commit_and_bump(super().commit, self._versions, changed, risk_list=list_changed)

    def _bind(self, session: AsyncSession) -> None:
        self.plans = PlanRepository(session)
        self.members = MemberRepository(session)
        self.outbox = OutboxRepository(session)
        self.visits = VisitRepository(session, self.outbox)
        self.reports = ReportRepository(session)
        self.imports = ImportRepository(session)
        self.users = UserRepository(session)
        self.alerts = AlertRepository(session)
        self.outcomes = OutcomeRepository(session)
