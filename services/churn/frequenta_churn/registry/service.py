"""The model registry's use cases, on churn's database: register a trained version (and promote
it when it wins), read the serving one and the list, promote, roll back, and the cheap "what
serves now" query a serving process polls to hot-swap its model.

Every write takes the registry's transaction lock first, so replicas promoting, rolling back
and registering at once leave one linear history. The serving version is the latest row of
``model_promotions``; rules (labels, the comparison, the rollback stack) are in promotion.py.
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from frequenta_churn.ml.scoring import OnnxScorer
from frequenta_churn.models import ModelPromotion, RegisteredModel, RetrainingState
from frequenta_churn.registry.promotion import (
    Comparison,
    Holdout,
    PromotionReason,
    ScorerFactory,
    compare,
    rollback_target,
    version_label,
)
from frequenta_churn.registry.versions import comparable, new_version, schema_of
from frequenta_churn.registry.views import (
    NO_MODEL_MESSAGE,
    LoadedModel,
    ModelView,
    Registration,
    ServingPointer,
    version_not_found,
)
from frequenta_kit.errors import Conflict, Unavailable

if TYPE_CHECKING:
    from frequenta_churn.ml.training import TrainingResult  # scikit-learn: never in serving
    from frequenta_churn.uow import UnitOfWork  # which imports this package's store

log = logging.getLogger(__name__)


class ModelRegistry:
    def __init__(
        self,
        uow: Callable[[], "UnitOfWork"],
        clock: Callable[[], datetime],
        scorer: ScorerFactory = OnnxScorer,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._scorer = scorer

    # -- writes ----------------------------------------------------------------------------------

    async def register(
        self,
        result: "TrainingResult",
        *,
        promote_if_better: bool = False,
        job_id: uuid.UUID | None = None,
    ) -> Registration:
        """Keep a trained version. The first version is always promoted; a later one when
        ``promote_if_better`` and it beats the serving one on its hold-out. With ``job_id``, the
        job is marked SUCCEEDED with the version in the same transaction."""
        async with self._uow() as uow:
            await uow.models.lock()
            now = self._clock()
            label = await self._free_label(uow, now, result.chosen)
            model = new_version(result, version=label, created_at=now, job_id=job_id)
            await uow.models.add(model)
            current = await uow.models.latest_promotion()
            reason, comparison = None, None
            if current is None:
                reason = PromotionReason.FIRST
            elif promote_if_better:
                comparison = await self._compare(uow, model, current.version)
                if comparison is not None and comparison.better:
                    reason = PromotionReason.BETTER
            if reason is not None:
                self._promote(uow, label, reason, now, current, comparison)
            if job_id is not None:
                job = await uow.retraining_jobs.get(job_id)
                if job is not None:
                    job.state = RetrainingState.SUCCEEDED
                    job.model_version = label
                    job.promoted = reason is not None
                    job.finished_at = now
                    job.error = None
            await uow.commit()
        log.info(
            "model %s registered (%s)%s",
            label,
            result.chosen,
            f"; serving ({reason})" if reason else "; not promoted",
        )
        return Registration(label, reason is not None, reason, comparison)

    async def promote(self, version: str, *, force: bool = False) -> ModelView:
        """Serve ``version`` if it beats the serving one on its hold-out (or ``force``).
        Promoting the version already serving changes nothing."""
        async with self._uow() as uow:
            await uow.models.lock()
            model = await uow.models.get(version, payload=True)
            if model is None:
                raise version_not_found(version)
            current = await uow.models.latest_promotion()
            if current is not None and current.version == version:
                return ModelView(model, serving=True, promotion=current)
            comparison = None
            reason = PromotionReason.FIRST
            if current is not None:
                comparison = await self._compare(uow, model, current.version)
                reason = self._decide(version, current.version, comparison, force)
            promotion = self._promote(uow, version, reason, self._clock(), current, comparison)
            await uow.commit()
        log.info("model %s promoted (%s)", version, reason)
        return ModelView(model, serving=True, promotion=promotion)

    async def rollback(self) -> ModelView:
        """Serve again the version served before the current one."""
        async with self._uow() as uow:
            await uow.models.lock()
            history = await uow.models.history()
            target = rollback_target([(p.version, p.reason) for p in history])
            if target is None:
                raise Conflict(
                    "NO_PREVIOUS_VERSION",
                    "There is no earlier serving version to roll back to"
                    + (f" ({history[-1].version} is the first)." if history else "."),
                )
            model = await uow.models.get(target)
            assert model is not None, "a promoted version is never deleted"
            promotion = self._promote(
                uow, target, PromotionReason.ROLLBACK, self._clock(), history[-1], None
            )
            await uow.commit()
        log.info("rolled back from %s to %s", history[-1].version, target)
        return ModelView(model, serving=True, promotion=promotion)

    # -- reads -----------------------------------------------------------------------------------

    async def serving_now(self) -> ServingPointer | None:
        """The serving version, or None: one index lookup, cheap enough to poll."""
        async with self._uow() as uow:
            latest = await uow.models.latest_promotion()
        if latest is None:
            return None
        return ServingPointer(latest.version, latest.id, latest.promoted_at)

    async def serving(self) -> ModelView:
        """The serving version; UNAVAILABLE (NO_MODEL) while none has been trained."""
        async with self._uow() as uow:
            latest = await uow.models.latest_promotion()
            model = None if latest is None else await uow.models.get(latest.version)
        if latest is None or model is None:
            raise Unavailable("NO_MODEL", NO_MODEL_MESSAGE)
        return ModelView(model, serving=True, promotion=latest)

    async def versions(self) -> list[ModelView]:
        """Every version, newest first; the serving one marked."""
        async with self._uow() as uow:
            latest = await uow.models.latest_promotion()
            models = await uow.models.newest_first()
        serving = None if latest is None else latest.version
        return [
            ModelView(m, m.version == serving, latest if m.version == serving else None)
            for m in models
        ]

    async def load(self, version: str) -> LoadedModel:
        """A version's ONNX graph and schema, for scoring."""
        async with self._uow() as uow:
            model = await uow.models.get(version, payload=True)
        if model is None:
            raise version_not_found(version)
        return LoadedModel(model.version, model.algorithm, model.onnx, schema_of(model))

    # -- internals -------------------------------------------------------------------------------

    async def _free_label(self, uow: "UnitOfWork", now: datetime, algorithm: str) -> str:
        taken: set[str] = set()
        label = version_label(now, algorithm, taken.__contains__)
        while await uow.models.exists(label):
            taken.add(label)
            label = version_label(now, algorithm, taken.__contains__)
        return label

    async def _compare(
        self, uow: "UnitOfWork", candidate: RegisteredModel, serving_version: str
    ) -> Comparison | None:
        """Both models on the candidate's hold-out; None when the serving model reads other
        features (it cannot score those rows)."""
        serving = await uow.models.get(serving_version, payload=True)
        if serving is None or not comparable(candidate, serving):
            return None
        return await asyncio.to_thread(
            compare,
            Holdout.unpack(candidate.holdout),
            self._scorer(candidate.onnx),
            self._scorer(serving.onnx),
        )

    @staticmethod
    def _decide(
        version: str, serving: str, comparison: Comparison | None, force: bool
    ) -> PromotionReason:
        if comparison is not None and comparison.better:
            return PromotionReason.BETTER
        if force:
            return PromotionReason.FORCED
        if comparison is None:
            raise Conflict(
                "NOT_COMPARABLE",
                f"{version} and the serving {serving} read different features, so they cannot "
                "be compared on the same hold-out; promote with force to serve it anyway.",
                field="version",
            )
        raise Conflict(
            "NOT_BETTER",
            f"{version} does not beat the serving {serving} on {version}'s hold-out "
            f"({comparison.rows} rows): PR-AUC {comparison.candidate_pr_auc:.4f} vs "
            f"{comparison.serving_pr_auc:.4f}. Promote with force to serve it anyway.",
            field="version",
        )

    @staticmethod
    def _promote(
        uow: "UnitOfWork",
        version: str,
        reason: PromotionReason,
        now: datetime,
        current: ModelPromotion | None,
        comparison: Comparison | None,
    ) -> ModelPromotion:
        promotion = ModelPromotion(
            version=version,
            reason=reason.value,
            promoted_at=now,
            replaced_version=None if current is None else current.version,
            candidate_pr_auc=None if comparison is None else comparison.candidate_pr_auc,
            serving_pr_auc=None if comparison is None else comparison.serving_pr_auc,
        )
        uow.models.add_promotion(promotion)
        return promotion
