"""Unit of work over churn's database: one transaction around a use case (frequenta_kit.uow)."""

import uuid
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_churn.models import RetrainingJob
from frequenta_churn.projection.repository import ProjectionRepository
from frequenta_churn.registry.store import ModelStore
from frequenta_churn.serving.store import RiskStore
from frequenta_kit.uow import SessionUnitOfWork


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


class SqlAlchemyUnitOfWork(SessionUnitOfWork):
    database_label = "churn"

    def _bind(self, session: AsyncSession) -> None:
        self.retraining_jobs = RetrainingJobs(session)
        self.projection = ProjectionRepository(session)
        self.models = ModelStore(session)
        self.risks = RiskStore(session)
