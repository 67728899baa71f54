"""Why a member's risk is what it is, for any exported model.

Features are explained in groups (a factor), because some are computed from others or only mean
something together: the absence (days since the last visit, the usual gap, their ratio), the
frequency (recent, baseline, their ratio), regularity, visit duration, tenure, and the plan with
its renewal (the plan's one-hot columns and the days to the end of its cycle). A factor's
contribution is the change in log-odds when the member's values of that group are replaced by a
reference:

    contribution = logit(p(member)) - sum_j w_j * logit(p(member with group := alternative_j))

Numeric groups have one alternative, the training population's medians (derived ratios
recomputed from them, so the reference is a consistent member). The plan and its renewal are one
factor with several alternatives: for each plan, the quantiles of the days to its cycle's end
among the training rows of that plan, weighted by the plan's share (the member's plan and
renewal against the gym's mix of plans *and* of where their members are in their cycles). They
are one factor because the model mixes them: a monthly member is always within 31 days of a
renewal, and near a renewal a long plan is the riskier one. Explained apart (as they were at
first), "plano mensal" usually *lowered* the risk against the plan mix while monthly members
cancel most, since the cycle factor had taken the renewal's share.

Positive = the member's value raises the risk against a typical member. All perturbed copies of
a batch of members are scored in one ONNX call (1 + 5 + plans x quantiles rows per member).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from frequenta_churn.ml.features import (
    FEATURE_NAMES,
    INDEX,
    PLAN_COLUMNS,
    absence_ratio,
    frequency_ratio,
    quantize,
)
from frequenta_churn.ml.wording import sentence

MIN_WEIGHT = 1e-3  # contributions smaller than this (in log-odds) are not factors
_EPS = 1e-7
PLAN_RENEWAL = "plan_renewal"
# Quantiles of the days to the plan's cycle end, per plan, that stand for the gym's members.
RENEWAL_QUANTILES = (0.1, 0.3, 0.5, 0.7, 0.9)


class Scorer(Protocol):
    def risk(self, X: np.ndarray) -> np.ndarray: ...


class Direction(StrEnum):
    INCREASES = "increases_risk"
    DECREASES = "decreases_risk"


@dataclass(frozen=True)
class FactorGroup:
    code: str
    features: tuple[str, ...]


FACTOR_GROUPS: tuple[FactorGroup, ...] = (
    FactorGroup("absence", ("days_since_last_visit", "usual_gap_days", "absence_ratio")),
    FactorGroup("frequency", ("visits_per_week_4w", "baseline_visits_per_week", "frequency_ratio")),
    FactorGroup("regularity", ("active_weeks_share_8w",)),
    FactorGroup("visit_duration", ("avg_visit_minutes",)),
    FactorGroup("tenure", ("tenure_days",)),
    FactorGroup(PLAN_RENEWAL, ("days_to_plan_end", *(FEATURE_NAMES[i] for i in PLAN_COLUMNS))),
)
# The feature whose value stands for the factor (RiskFactor.value in the API).
HEADLINE = {
    "absence": "days_since_last_visit",
    "frequency": "visits_per_week_4w",
    "regularity": "active_weeks_share_8w",
    "visit_duration": "avg_visit_minutes",
    "tenure": "tenure_days",
    PLAN_RENEWAL: "days_to_plan_end",
}


@dataclass(frozen=True)
class Factor:
    code: str  # a FactorGroup code
    direction: Direction
    weight: float  # |contribution|, in log-odds
    contribution: float  # signed change in log-odds against the reference
    values: Mapping[str, float]  # the member's values of the group's features
    sentence: str  # Portuguese, for staff


@dataclass(frozen=True)
class Reference:
    """Per group code: alternatives, each (values of the group's features, weight)."""

    alternatives: Mapping[str, tuple[tuple[tuple[float, ...], float], ...]]

    @classmethod
    def from_training(cls, X: np.ndarray) -> "Reference":
        median = np.median(X, axis=0)
        med = {name: float(median[INDEX[name]]) for name in FEATURE_NAMES}
        med["absence_ratio"] = float(
            absence_ratio(np.array(med["days_since_last_visit"]), np.array(med["usual_gap_days"]))
        )
        med["frequency_ratio"] = float(
            frequency_ratio(
                np.array(med["visits_per_week_4w"]), np.array(med["baseline_visits_per_week"])
            )
        )
        alternatives = {}
        for group in FACTOR_GROUPS:
            if group.code == PLAN_RENEWAL:
                alternatives[group.code] = _renewal_alternatives(X)
            else:
                values = quantize(np.array([med[name] for name in group.features]))
                alternatives[group.code] = ((tuple(float(v) for v in values), 1.0),)
        return cls(alternatives)

    def to_dict(self) -> dict:
        return {
            code: [{"values": list(values), "weight": weight} for values, weight in alts]
            for code, alts in self.alternatives.items()
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "Reference":
        alternatives = {
            code: tuple((tuple(a["values"]), float(a["weight"])) for a in alts)
            for code, alts in data.items()
        }
        if PLAN_RENEWAL not in alternatives and "plan" in alternatives:
            alternatives[PLAN_RENEWAL] = _renewal_from_separate(alternatives)
        return cls(alternatives)


def _renewal_alternatives(X: np.ndarray) -> tuple[tuple[tuple[float, ...], float], ...]:
    """Per plan present in the training rows: the quantiles of its days to the cycle's end,
    each weighted by the plan's share / the number of quantiles."""
    plans = X[:, list(PLAN_COLUMNS)]
    days = X[:, INDEX["days_to_plan_end"]]
    alternatives = []
    for position in range(len(PLAN_COLUMNS)):
        of_plan = plans[:, position] > 0.5
        share = float(of_plan.mean()) if X.shape[0] else 0.0
        if share == 0:
            continue
        one_hot = tuple(float(v) for v in np.eye(len(PLAN_COLUMNS))[position])
        for q in quantize(np.quantile(days[of_plan], RENEWAL_QUANTILES)):
            alternatives.append(((float(q), *one_hot), share / len(RENEWAL_QUANTILES)))
    return tuple(alternatives)


def _renewal_from_separate(alternatives: Mapping) -> tuple[tuple[tuple[float, ...], float], ...]:
    """A reference stored before the plan and its cycle were one factor (groups "plan" and
    "plan_cycle"): each plan of the mix at the median days to the cycle's end."""
    ((median_days,), _), *_ = alternatives.get("plan_cycle", (((0.0,), 1.0),))
    return tuple(((float(median_days), *values), weight) for values, weight in alternatives["plan"])


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def contributions(scorer: Scorer, X: np.ndarray, reference: Reference) -> np.ndarray:
    """Signed log-odds contribution of each factor group (n x len(FACTOR_GROUPS))."""
    X = np.asarray(X, dtype=np.float32)
    n = X.shape[0]
    copies, plan = [X], []
    for group in FACTOR_GROUPS:
        columns = [INDEX[name] for name in group.features]
        for values, weight in reference.alternatives[group.code]:
            copy = X.copy()
            copy[:, columns] = np.asarray(values, dtype=np.float32)
            copies.append(copy)
            plan.append((group.code, weight))
    logits = _logit(scorer.risk(np.concatenate(copies))).reshape(len(copies), n)
    result = np.zeros((n, len(FACTOR_GROUPS)))
    codes = [group.code for group in FACTOR_GROUPS]
    for position, (code, weight) in enumerate(plan, start=1):
        result[:, codes.index(code)] -= weight * logits[position]
    totals = np.array([sum(w for _, w in reference.alternatives[c]) for c in codes])
    return result + totals * logits[0][:, None]


def explain(
    scorer: Scorer, X: np.ndarray, reference: Reference, *, top_k: int = 3
) -> list[list[Factor]]:
    """The strongest ``top_k`` factors of each row, strongest first."""
    contribution = contributions(scorer, X, reference)
    explained = []
    for row, values in zip(contribution, np.asarray(X, dtype=np.float64), strict=True):
        factors = []
        for g in np.argsort(-np.abs(row), kind="stable")[:top_k]:
            if abs(row[g]) < MIN_WEIGHT:
                continue
            group = FACTOR_GROUPS[g]
            own = {name: float(values[INDEX[name]]) for name in group.features}
            factors.append(
                Factor(
                    code=group.code,
                    direction=Direction.INCREASES if row[g] > 0 else Direction.DECREASES,
                    weight=float(abs(row[g])),
                    contribution=float(row[g]),
                    values=own,
                    sentence=sentence(
                        group.code, own, dict(zip(FEATURE_NAMES, values, strict=True))
                    ),
                )
            )
        explained.append(factors)
    return explained
