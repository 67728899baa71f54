"""One training run, pure: records in, a chosen and exported model with everything the registry
keeps out. No database, no files, no clock (``as_of`` is the end of the data).

Steps: columns -> weekly snapshots -> time-ordered split -> every candidate fitted on the past ->
metrics on the same hold-out -> the best by PR-AUC exported to ONNX -> parity checked on every
hold-out row (ParityError above 1e-5) -> the explanation reference and risk bands from training.
The exported model is the one evaluated: it is not refitted on the hold-out period.
"""

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from frequenta_churn.ml.candidates import CANDIDATES, Candidate, fit_candidates, predict_risk
from frequenta_churn.ml.evaluation import Metrics, choose_best, evaluate
from frequenta_churn.ml.explain import Reference
from frequenta_churn.ml.features import FEATURE_SCHEMA_VERSION, FEATURES
from frequenta_churn.ml.onnx_export import (
    INPUT_NAME,
    PARITY_TOLERANCE,
    OnnxScorer,
    export_onnx,
    parity_max_diff,
)
from frequenta_churn.ml.records import NEVER, GymColumns, MemberRecord, VisitRecord
from frequenta_churn.ml.schema import ModelSchema
from frequenta_churn.ml.snapshots import (
    DEFAULT_HOLDOUT_FRACTION,
    DEFAULT_HORIZON_DAYS,
    DEFAULT_STEP_DAYS,
    DEFAULT_WARMUP_DAYS,
    SnapshotSet,
    build_snapshots,
    snapshot_instants,
    temporal_split,
)
from frequenta_churn.ml.wording import RiskBands

__all__ = ["ModelSchema", "ParityError", "TrainingResult", "train", "train_columns"]

GYM_TIMEZONE = ZoneInfo("America/Sao_Paulo")


class ParityError(RuntimeError):
    """The ONNX model's probabilities differ from scikit-learn's beyond the tolerance."""


@dataclass(frozen=True)
class TrainingWindow:
    as_of: datetime
    horizon_days: int
    first_train_snapshot: datetime
    last_train_snapshot: datetime
    holdout_start: datetime
    holdout_end: datetime
    train_snapshot_dates: int
    holdout_snapshot_dates: int


@dataclass(frozen=True)
class DataCounts:
    members: int
    visits: int
    dropped_visits: int
    cancellations: int
    train_rows: int
    train_positives: int
    holdout_rows: int
    holdout_positives: int


@dataclass(frozen=True, eq=False)
class TrainingResult:
    models: Mapping[str, object]
    metrics: Mapping[str, Metrics]
    chosen: str
    onnx: bytes
    schema: ModelSchema
    window: TrainingWindow
    counts: DataCounts
    parity_max_diff: float
    holdout: SnapshotSet
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def chosen_metrics(self) -> Metrics:
        return self.metrics[self.chosen]


def train(
    members: Iterable[MemberRecord],
    visits: Iterable[VisitRecord],
    *,
    as_of: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    seed: int = 0,
    tz: ZoneInfo = GYM_TIMEZONE,
    **options,
) -> TrainingResult:
    """Train from exported records; see train_columns for the options."""
    started = time.perf_counter()
    gym = GymColumns.from_records(members, visits, tz)
    columns = time.perf_counter() - started
    result = train_columns(gym, as_of=as_of, horizon_days=horizon_days, seed=seed, **options)
    return replace(result, seconds={"columns": columns, **result.seconds})


def train_columns(
    gym: GymColumns,
    *,
    as_of: datetime,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    seed: int = 0,
    holdout_fraction: float = DEFAULT_HOLDOUT_FRACTION,
    step_days: int = DEFAULT_STEP_DAYS,
    warmup_days: int = DEFAULT_WARMUP_DAYS,
    candidates: tuple[Candidate, ...] = CANDIDATES,
) -> TrainingResult:
    clock = time.perf_counter()
    seconds = {}
    instants = snapshot_instants(
        gym, as_of=as_of, horizon_days=horizon_days, step_days=step_days, warmup_days=warmup_days
    )
    if not instants:
        raise ValueError("no snapshot instant: the history is shorter than warm-up plus horizon")
    split = temporal_split(
        build_snapshots(gym, instants, horizon_days=horizon_days),
        instants,
        horizon_days=horizon_days,
        holdout_fraction=holdout_fraction,
    )
    seconds["snapshots"], clock = time.perf_counter() - clock, time.perf_counter()
    models = fit_candidates(split.train.X, split.train.y, seed=seed, candidates=candidates)
    seconds["fit"], clock = time.perf_counter() - clock, time.perf_counter()
    metrics = {
        name: evaluate(split.holdout.y, predict_risk(model, split.holdout.X))
        for name, model in models.items()
    }
    chosen = choose_best(metrics)
    onnx = export_onnx(models[chosen])
    parity = parity_max_diff(models[chosen], OnnxScorer(onnx), split.holdout.X)
    if parity > PARITY_TOLERANCE:
        raise ParityError(f"{chosen}: ONNX differs from scikit-learn by {parity:.2e}")
    seconds["evaluate_export"] = time.perf_counter() - clock
    schema = ModelSchema(
        feature_names=tuple(f.name for f in FEATURES),
        feature_descriptions=tuple(f.description for f in FEATURES),
        feature_schema_version=FEATURE_SCHEMA_VERSION,
        input_name=INPUT_NAME,
        horizon_days=horizon_days,
        reference=Reference.from_training(split.train.X),
        bands=RiskBands.from_base_rate(float(split.train.y.mean())),
    )
    return TrainingResult(
        models=models,
        metrics=metrics,
        chosen=chosen,
        onnx=onnx,
        schema=schema,
        window=TrainingWindow(
            as_of=as_of,
            horizon_days=horizon_days,
            first_train_snapshot=split.train_instants[0],
            last_train_snapshot=split.train_instants[-1],
            holdout_start=split.holdout_instants[0],
            holdout_end=split.holdout_instants[-1],
            train_snapshot_dates=len(split.train_instants),
            holdout_snapshot_dates=len(split.holdout_instants),
        ),
        counts=DataCounts(
            members=gym.n_members,
            visits=gym.n_visits,
            dropped_visits=gym.dropped_visits,
            cancellations=int((gym.cancelled_ms != NEVER).sum()),
            train_rows=split.train.n,
            train_positives=split.train.positives,
            holdout_rows=split.holdout.n,
            holdout_positives=split.holdout.positives,
        ),
        parity_max_diff=parity,
        holdout=split.holdout,
        seconds=seconds,
    )
