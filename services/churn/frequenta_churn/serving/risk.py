"""A member's risk as it is served (pure: feature rows and a serving model in, answers out).

One answer: the probability from the model, its band, the top factors (explain.explain, all
rows of a batch in one ONNX call), the recommendations for the factors that raise the risk, and
the member's facts (plan, tenure, last visit). A member enrolled less than
``LIMITED_HISTORY_DAYS`` ago is flagged ``limited_history``: the model cannot compare their
recent frequency with a baseline of their own yet (it needs 14 days enrolled in the 29-84-day
window, features.MIN_BASELINE_DAYS), so the score leans on tenure, plan and absence. They still
get a score, with the new-member follow-up first and the tenure factor among the factors whenever
the model gives it any weight (a factor the model ignores is never shown as a reason).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.explain import FACTOR_GROUPS, HEADLINE, Direction, Factor, explain
from frequenta_churn.ml.features import MIN_BASELINE_DAYS, feature_matrix
from frequenta_churn.ml.localtime import to_ms
from frequenta_churn.ml.records import NEVER, GymColumns, MemberRecord, VisitRecord
from frequenta_churn.ml.wording import KEEP_GOING, RECOMMENDATIONS, RiskBand, recommendations
from frequenta_churn.serving.member_reads import MemberHistory, last_visit
from frequenta_churn.serving.model import ServingModel
from frequenta_churn.serving.rates import visit_rates

TOP_FACTORS = 3
# 28 days of recent visits + the 14 of a baseline: before this, no baseline to compare with.
LIMITED_HISTORY_DAYS = 28 + MIN_BASELINE_DAYS
NEW_MEMBER_ADVICE = RECOMMENDATIONS["tenure"]
MAX_RECOMMENDATIONS = 2


@dataclass(frozen=True)
class MemberFacts:
    """What an answer says of the member besides the model's output."""

    member_id: int
    plan_code: str
    tenure_days: int  # local days since enrollment, not capped
    last_visit_at: datetime | None
    recent_visits_per_week: float | None = None  # serving.rates
    usual_visits_per_week: float | None = None


@dataclass(frozen=True)
class MemberRisk:
    member_id: int
    probability: float
    band: RiskBand
    factors: tuple[Factor, ...]  # strongest first
    recommendations: tuple[str, ...]
    model_version: str
    horizon_days: int
    computed_at: datetime
    plan_code: str
    limited_history: bool
    tenure_days: int
    last_visit_at: datetime | None
    recent_visits_per_week: float | None = None
    usual_visits_per_week: float | None = None


def headline_value(factor: Factor) -> tuple[str, float]:
    """The feature that stands for a factor and the member's value of it."""
    feature = HEADLINE[factor.code]
    return feature, factor.values[feature]


def tenure_days(member: MemberRecord, at: datetime, tz: ZoneInfo) -> int:
    return max((at.astimezone(tz).date() - member.enrolled_at.astimezone(tz).date()).days, 0)


def member_facts(
    member: MemberRecord, visits: Sequence[VisitRecord], at: datetime, tz: ZoneInfo
) -> MemberFacts:
    before = [visit.entered_at for visit in visits if visit.entered_at < at]
    last = max(before, default=None)
    return MemberFacts(member.member_id, member.plan_code, tenure_days(member, at, tz), last)


def history_features(
    history: MemberHistory, at: datetime, tz: ZoneInfo
) -> tuple[np.ndarray, MemberFacts]:
    """The member's feature row as of ``at`` (equal to features.features_as_of on the same
    visits) and their facts, straight from the projection's arrays."""
    member = history.member
    visits = history.entry_ms.size
    gym = GymColumns.from_arrays(
        tz=tz,
        member_ids=np.array([member.member_id], dtype=np.int64),
        plan_codes=np.array([member.plan_code]),
        plan_months=np.array([member.plan_duration_months], dtype=np.int64),
        enrolled_ms=np.array([to_ms(member.enrolled_at)], dtype=np.int64),
        cancelled_ms=np.array([NEVER], dtype=np.int64),
        visit_member_ids=np.full(visits, member.member_id, dtype=np.int64),
        entry_ms=history.entry_ms,
        exit_ms=history.exit_ms,
    )
    at_ms = to_ms(at)
    X = feature_matrix(gym, np.zeros(1, dtype=np.int64), at_ms)[0]
    recent, usual = visit_rates(gym, at_ms)
    facts = MemberFacts(
        member.member_id,
        member.plan_code,
        tenure_days(member, at, tz),
        last_visit(history, at_ms),
        round(float(recent[0]), 2),
        None if np.isnan(usual[0]) else round(float(usual[0]), 2),
    )
    return X, facts


def _factors(explained: list[Factor], limited: bool) -> tuple[Factor, ...]:
    top = explained[:TOP_FACTORS]
    if limited and not any(f.code == "tenure" for f in top):
        top += [f for f in explained if f.code == "tenure"]
    return tuple(top)


def _advice(factors: Sequence[Factor], band: RiskBand, limited: bool) -> tuple[str, ...]:
    raising = [f.code for f in factors if f.direction is Direction.INCREASES]
    advice = recommendations(raising, band, limit=MAX_RECOMMENDATIONS)
    if limited:
        others = [a for a in advice if a not in (NEW_MEMBER_ADVICE, KEEP_GOING)]
        advice = [NEW_MEMBER_ADVICE, *others][:MAX_RECOMMENDATIONS]
    return tuple(advice)


def assess(
    model: ServingModel,
    X: np.ndarray,
    facts: Sequence[MemberFacts],
    computed_at: datetime,
    *,
    probabilities: np.ndarray | None = None,
) -> list[MemberRisk]:
    """The answers for feature rows ``X`` (one per member of ``facts``). ``probabilities``,
    when the rows were scored already (a snapshot), must be this model's."""
    X = np.asarray(X, dtype=np.float32)
    if X.shape[0] != len(facts):
        raise ValueError(f"{X.shape[0]} feature rows for {len(facts)} members")
    if X.shape[0] == 0:
        return []
    p = model.scorer.risk(X) if probabilities is None else np.asarray(probabilities)
    explained = explain(model.scorer, X, model.reference, top_k=len(FACTOR_GROUPS))
    answers = []
    for fact, probability, factors in zip(facts, p, explained, strict=True):
        limited = fact.tenure_days < LIMITED_HISTORY_DAYS
        band = model.bands.band(float(probability))
        shown = _factors(factors, limited)
        answers.append(
            MemberRisk(
                member_id=fact.member_id,
                probability=float(probability),
                band=band,
                factors=shown,
                recommendations=_advice(shown, band, limited),
                model_version=model.version,
                horizon_days=model.horizon_days,
                computed_at=computed_at,
                plan_code=fact.plan_code,
                limited_history=limited,
                tenure_days=fact.tenure_days,
                last_visit_at=fact.last_visit_at,
                recent_visits_per_week=fact.recent_visits_per_week,
                usual_visits_per_week=fact.usual_visits_per_week,
            )
        )
    return answers
