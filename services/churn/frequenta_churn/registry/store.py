"""The registry's tables (model_versions, model_promotions) behind a small repository; part of
the unit of work, so a version, its promotion and its job's outcome commit together."""

from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from frequenta_churn.models import ModelPromotion, RegisteredModel

# pg_advisory_xact_lock key serialising the registry's writes (promotions, rollbacks, new
# versions) across replicas: the history stays one line. 'frqreg' in ASCII.
REGISTRY_LOCK_KEY = 0x667271726567


class ModelStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self) -> None:
        """Serialise the registry's writers until the transaction ends."""
        await self._session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": REGISTRY_LOCK_KEY}
        )

    async def add(self, model: RegisteredModel) -> None:
        """Insert the version now (its promotion row refers to it)."""
        self._session.add(model)
        await self._session.flush()

    def add_promotion(self, promotion: ModelPromotion) -> None:
        self._session.add(promotion)

    async def exists(self, version: str) -> bool:
        found = await self._session.scalar(
            select(func.count()).where(RegisteredModel.version == version)
        )
        return bool(found)

    async def get(self, version: str, *, payload: bool = False) -> RegisteredModel | None:
        """The version's metadata; with ``payload``, its ONNX bytes and hold-out rows too. A
        label with a NUL names no version (PostgreSQL text cannot hold one; asyncpg refused the
        query, a 500)."""
        if "\x00" in version:
            return None
        query = select(RegisteredModel).where(RegisteredModel.version == version)
        if payload:
            query = query.options(undefer(RegisteredModel.onnx), undefer(RegisteredModel.holdout))
        return await self._session.scalar(query)

    async def newest_first(self) -> Sequence[RegisteredModel]:
        query = select(RegisteredModel).order_by(
            RegisteredModel.created_at.desc(), RegisteredModel.version.desc()
        )
        return (await self._session.scalars(query)).all()

    async def latest_promotion(self) -> ModelPromotion | None:
        """The serving version's promotion: one index lookup (the hot-swap check)."""
        query = select(ModelPromotion).order_by(ModelPromotion.id.desc()).limit(1)
        return await self._session.scalar(query)

    async def history(self) -> Sequence[ModelPromotion]:
        """Every promotion and rollback, oldest first."""
        query = select(ModelPromotion).order_by(ModelPromotion.id)
        return (await self._session.scalars(query)).all()
