"""A training run as a registry row: what is kept of a TrainingResult."""

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from frequenta_churn.ml.schema import ModelSchema
from frequenta_churn.models import RegisteredModel
from frequenta_churn.registry.promotion import Holdout

if TYPE_CHECKING:  # training imports scikit-learn; a serving process never loads it
    from frequenta_churn.ml.training import TrainingResult


def new_version(
    result: "TrainingResult", *, version: str, created_at: datetime, job_id: uuid.UUID | None
) -> RegisteredModel:
    window, counts, schema = result.window, result.counts, result.schema
    return RegisteredModel(
        version=version,
        algorithm=result.chosen,
        onnx=result.onnx,
        feature_schema=schema.to_dict(),
        feature_schema_version=schema.feature_schema_version,
        horizon_days=window.horizon_days,
        data_until=window.as_of,
        trained_from=window.first_train_snapshot,
        trained_until=window.last_train_snapshot,
        holdout_from=window.holdout_start,
        holdout_until=window.holdout_end,
        members=counts.members,
        visits=counts.visits,
        cancellations=counts.cancellations,
        training_rows=counts.train_rows,
        training_positives=counts.train_positives,
        holdout_rows=counts.holdout_rows,
        holdout_positives=counts.holdout_positives,
        metrics={name: metrics.as_dict() for name, metrics in result.metrics.items()},
        band_medium=schema.bands.medium,
        band_high=schema.bands.high,
        parity_max_diff=result.parity_max_diff,
        holdout=Holdout(X=result.holdout.X, y=result.holdout.y).pack(),
        training_seconds={stage: round(s, 3) for stage, s in result.seconds.items()},
        job_id=job_id,
        created_at=created_at,
    )


def schema_of(model: RegisteredModel) -> ModelSchema:
    return ModelSchema.from_dict(model.feature_schema)


def comparable(candidate: RegisteredModel, serving: RegisteredModel) -> bool:
    """Whether the serving model reads the candidate's hold-out rows: the same features, in the
    same order, computed the same way."""
    return (
        candidate.feature_schema["feature_names"] == serving.feature_schema["feature_names"]
        and candidate.feature_schema_version == serving.feature_schema_version
    )
