"""Hand-written fakes for the registry's unit tests: an in-memory unit of work (model store and
retraining jobs), scorers chosen by the "ONNX bytes", and TrainingResults built around them."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from frequenta_churn.ml.evaluation import evaluate
from frequenta_churn.ml.explain import Reference
from frequenta_churn.ml.features import FEATURE_NAMES, FEATURE_SCHEMA_VERSION, FEATURES
from frequenta_churn.ml.schema import ModelSchema
from frequenta_churn.ml.snapshots import SnapshotSet
from frequenta_churn.ml.training import DataCounts, TrainingResult, TrainingWindow
from frequenta_churn.ml.wording import RiskBands
from frequenta_churn.models import ModelPromotion, RegisteredModel, RetrainingJob

START = datetime(2026, 1, 5, 3, tzinfo=UTC)


class FakeScorer:
    """Scores the fake hold-out rows: column 0 is the label, column 1 noise."""

    def __init__(self, kind: bytes) -> None:
        self.kind = kind

    def risk(self, X: np.ndarray) -> np.ndarray:
        label, noise = X[:, 0], X[:, 1]
        weights = {b"perfect": (1.0, 0.0), b"good": (0.6, 1.0), b"noise": (0.0, 1.0)}
        signal, random = weights[self.kind]
        return (signal * label + random * noise).astype(np.float32) / 2


def fake_result(
    onnx: bytes,
    *,
    seed: int = 0,
    rows: int = 600,
    chosen: str = "gradient_boosting",
    feature_names: tuple[str, ...] = FEATURE_NAMES,
) -> TrainingResult:
    rng = np.random.default_rng(seed)
    y = (rng.random(rows) < 0.1).astype(np.int8)
    y[:2] = (1, 0)
    X = np.zeros((rows, len(FEATURES)))
    X[:, 0] = y
    X[:, 1] = np.round(rng.random(rows) * 64) / 64
    holdout = SnapshotSet(X, y, np.zeros(rows, dtype=np.int64), np.arange(rows))
    metrics = evaluate(y, FakeScorer(onnx).risk(X.astype(np.float32)))
    schema = ModelSchema(
        feature_names=feature_names,
        feature_descriptions=tuple(f.description for f in FEATURES),
        feature_schema_version=FEATURE_SCHEMA_VERSION,
        input_name="features",
        horizon_days=30,
        reference=Reference.from_training(X),
        bands=RiskBands.from_base_rate(float(y.mean())),
    )
    window = TrainingWindow(
        as_of=START + timedelta(days=300),
        horizon_days=30,
        first_train_snapshot=START,
        last_train_snapshot=START + timedelta(days=180),
        holdout_start=START + timedelta(days=210),
        holdout_end=START + timedelta(days=270),
        train_snapshot_dates=26,
        holdout_snapshot_dates=9,
    )
    counts = DataCounts(
        members=300,
        visits=9000,
        dropped_visits=0,
        cancellations=60,
        train_rows=2 * rows,
        train_positives=int(2 * y.sum()),
        holdout_rows=rows,
        holdout_positives=int(y.sum()),
    )
    return TrainingResult(
        models={},
        metrics={chosen: metrics},
        chosen=chosen,
        onnx=onnx,
        schema=schema,
        window=window,
        counts=counts,
        parity_max_diff=0.0,
        holdout=holdout,
        seconds={"fit": 0.5},
    )


@dataclass
class FakeModelStore:
    versions: dict[str, RegisteredModel] = field(default_factory=dict)
    promotions: list[ModelPromotion] = field(default_factory=list)
    locks: int = 0

    async def lock(self) -> None:
        self.locks += 1

    async def add(self, model: RegisteredModel) -> None:
        assert model.version not in self.versions
        self.versions[model.version] = model

    def add_promotion(self, promotion: ModelPromotion) -> None:
        assert promotion.version in self.versions
        promotion.id = len(self.promotions) + 1
        self.promotions.append(promotion)

    async def exists(self, version: str) -> bool:
        return version in self.versions

    async def get(self, version: str, *, payload: bool = False) -> RegisteredModel | None:
        return self.versions.get(version)

    async def newest_first(self) -> list[RegisteredModel]:
        return sorted(self.versions.values(), key=lambda m: (m.created_at, m.version), reverse=True)

    async def latest_promotion(self) -> ModelPromotion | None:
        return self.promotions[-1] if self.promotions else None

    async def history(self) -> list[ModelPromotion]:
        return list(self.promotions)


@dataclass
class FakeJobs:
    jobs: dict[uuid.UUID, RetrainingJob] = field(default_factory=dict)

    def add(self, job: RetrainingJob) -> None:
        self.jobs[job.id] = job

    async def get(self, job_id: uuid.UUID) -> RetrainingJob | None:
        return self.jobs.get(job_id)


@dataclass
class FakeUnitOfWork:
    models: FakeModelStore = field(default_factory=FakeModelStore)
    retraining_jobs: FakeJobs = field(default_factory=FakeJobs)
    commits: int = 0

    async def __aenter__(self) -> "FakeUnitOfWork":
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


class Clock:
    """Starts at a fixed instant; each call moves a minute on."""

    def __init__(self, start: datetime = START + timedelta(days=301)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now
