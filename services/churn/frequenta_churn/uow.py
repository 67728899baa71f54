"""Unit of work over churn's database: one transaction around a use case (frequenta_kit.uow).

The members a commit merged are marked as being written just before it; right after it their
projection's cache versions are bumped and the marks lifted (the at-risk list's version too with
a cancellation): risk is computed from the projection, which lags attendance, so an answer
cached before the projection caught up must become unreachable when it does (docs/cache.md).
Members whose retention state changed (a contact, a group drawn) are bumped the same way, with
the list's version: the at-risk list shows their contact status.
Built without ``versions``, it bumps nothing."""

import uuid
from types import TracebackType
from typing import Protocol, Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frequenta_churn.models import RetrainingJob
from frequenta_churn.projection.repository import ProjectionRepository
from frequenta_churn.registry.store import ModelStore
from frequenta_churn.retention.store import RetentionStore
from frequenta_churn.serving.store import RiskStore
from frequenta_kit.cache_versions import CacheVersions, commit_and_bump
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
    retention: RetentionStore

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

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        versions: CacheVersions | None = None,
    ) -> None:
        super().__init__(session_factory)
        self._versions = versions

    async def commit(self) -> None:
        projection = self.projection
        changed, projection.changed_members = projection.changed_members, set()
        cancellation, projection.cancellation = projection.cancellation, False
        retained, self.retention.changed_members = self.retention.changed_members, set()
        await commit_and_bump(
            super().commit,
            self._versions,
            changed | retained,
            risk_list=cancellation or bool(retained),
            projected=True,
        )

    def _bind(self, session: AsyncSession) -> None:
        self.retraining_jobs = RetrainingJobs(session)
        self.projection = ProjectionRepository(session)
        self.models = ModelStore(session)
        self.risks = RiskStore(session)
        self.retention = RetentionStore(session)
