"""Every active member scored at once, ranked, and the pages cut from it (pure).

A snapshot is what the at-risk list is served from: the features of every active member as of
one instant (features.features_at over the projection's GymColumns) and one ONNX call, sorted
by probability (highest first, ties by member id). Filters are numpy masks over it; only the
page's members are explained (risk.assess), with the snapshot's own model, so a page is one
version's even while a newer model is being loaded.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from frequenta_churn.ml.features import features_at
from frequenta_churn.ml.localtime import local_day_numbers, to_ms
from frequenta_churn.ml.records import GymColumns
from frequenta_churn.ml.wording import RiskBand
from frequenta_churn.serving.member_reads import from_ms
from frequenta_churn.serving.model import ServingModel
from frequenta_churn.serving.rates import visit_rates
from frequenta_churn.serving.risk import MemberFacts

BAND_ORDER = (RiskBand.LOW, RiskBand.MEDIUM, RiskBand.HIGH)  # index = the band's rank
NO_VISIT = -1


@dataclass(frozen=True, eq=False)
class RiskSnapshot:
    """Arrays of one length, highest probability first."""

    model: ServingModel
    computed_at: datetime  # the features are as of this instant
    member_ids: np.ndarray  # int64
    probabilities: np.ndarray  # float32, as the model returned them
    bands: np.ndarray  # int8: rank in BAND_ORDER
    plan_codes: np.ndarray  # str
    tenure_days: np.ndarray  # int64, local days since enrollment
    last_visit_ms: np.ndarray  # int64, NO_VISIT if none
    X: np.ndarray  # float32 features
    recent_per_week: np.ndarray  # float64 visits per week, last 28 days (rates.visit_rates)
    usual_per_week: np.ndarray  # float64, the member's usual rate; NaN if none yet

    @property
    def size(self) -> int:
        return int(self.member_ids.size)


@dataclass(frozen=True)
class AtRiskFilter:
    min_band: RiskBand | None = None
    plan_code: str | None = None
    max_tenure_days: int | None = None
    min_tenure_days: int | None = None


def band_ranks(model: ServingModel, probabilities: np.ndarray) -> np.ndarray:
    """Vectorised RiskBands.band (same >= comparisons, in float64)."""
    p = np.asarray(probabilities, dtype=np.float64)
    bands = model.bands
    return np.where(p >= bands.high, 2, np.where(p >= bands.medium, 1, 0)).astype(np.int8)


def score_snapshot(model: ServingModel, gym: GymColumns, at: datetime) -> RiskSnapshot:
    """Score every member of ``gym`` (the active ones) as of ``at``."""
    X = features_at(gym, at).astype(np.float32)
    p = model.scorer.risk(X) if gym.n_members else np.zeros(0, dtype=np.float32)
    order = np.lexsort((gym.member_ids, -p.astype(np.float64)))
    at_ms = to_ms(at)
    recent, usual = visit_rates(gym, at_ms)
    today = local_day_numbers(np.array([at_ms], dtype=np.int64), gym.tz)[0]
    before = gym.visits_before(np.arange(gym.n_members), at_ms)
    has_visit = before > gym.offsets[:-1]
    last = np.where(
        has_visit, gym.entry_ms[np.maximum(before - 1, 0)] if gym.n_visits else 0, NO_VISIT
    )
    return RiskSnapshot(
        model=model,
        computed_at=at,
        member_ids=gym.member_ids[order],
        probabilities=p[order],
        bands=band_ranks(model, p)[order],
        plan_codes=gym.plan_codes[order],
        tenure_days=np.maximum(today - gym.enrolled_day, 0)[order],
        last_visit_ms=last[order],
        X=X[order],
        recent_per_week=recent[order],
        usual_per_week=usual[order],
    )


def select(
    snapshot: RiskSnapshot, filters: AtRiskFilter, exclude: np.ndarray | None = None
) -> np.ndarray:
    """Positions of the members that pass the filters (and are not in ``exclude``), in rank
    order."""
    keep = np.ones(snapshot.size, dtype=bool)
    if filters.min_band is not None:
        keep &= snapshot.bands >= BAND_ORDER.index(filters.min_band)
    if filters.plan_code:
        keep &= snapshot.plan_codes == filters.plan_code
    if filters.max_tenure_days is not None:
        keep &= snapshot.tenure_days <= filters.max_tenure_days
    if filters.min_tenure_days is not None:
        keep &= snapshot.tenure_days >= filters.min_tenure_days
    if exclude is not None and exclude.size:
        keep &= ~np.isin(snapshot.member_ids, exclude)
    return np.flatnonzero(keep)


def facts_at(snapshot: RiskSnapshot, positions: np.ndarray) -> list[MemberFacts]:
    return [
        MemberFacts(
            member_id=int(snapshot.member_ids[i]),
            plan_code=str(snapshot.plan_codes[i]),
            tenure_days=int(snapshot.tenure_days[i]),
            last_visit_at=None
            if snapshot.last_visit_ms[i] == NO_VISIT
            else from_ms(snapshot.last_visit_ms[i]),
            recent_visits_per_week=_rate(snapshot.recent_per_week[i]),
            usual_visits_per_week=_rate(snapshot.usual_per_week[i]),
        )
        for i in positions
    ]


def _rate(value: float) -> float | None:
    return None if np.isnan(value) else round(float(value), 2)
