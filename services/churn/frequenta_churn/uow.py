"""Unit of work over churn's database: one transaction around a use case."""

import uuid
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_churn.models import RetrainingJob
from frequenta_churn.projection.repository import ProjectionRepository
from frequenta_churn.registry.store import ModelStore
from frequenta_churn.serving.store import RiskStore


class RetrainingJobs:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, job: RetrainingJob) -> None:
        self._session.add(job)

    async def get(self, job_id: uuid.UUID) -> RetrainingJob | None:
        return await self._session.get(RetrainingJob, job_id)


class UnitOfWork(Protocol):
    retraining_jobs: RetrainingJobs
    projection: ProjectionRepository
    models: ModelStore
    risks: RiskStore

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
        self._session = self._session_factory()
        self.retraining_jobs = RetrainingJobs(self._session)
        self.projection = ProjectionRepository(self._session)
        self.models = ModelStore(self._session)
        self.risks = RiskStore(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        assert self._session is not None, "commit outside 'async with uow'"
        await self._session.commit()
