"""Why a member's risk is what it is, for any exported model.

Features are explained in groups (a factor), because some are computed from others: the absence
(days since the last visit, the usual gap, their ratio), the frequency (recent, baseline, their
ratio), regularity, visit duration, tenure, the plan cycle and the plan. A factor's contribution
is the change in log-odds when the member's values of that group are replaced by a reference:

    contribution = logit(p(member)) - sum_j w_j * logit(p(member with group := alternative_j))

Numeric groups have one alternative, the training population's medians (derived ratios
recomputed from them, so the reference is a consistent member); the plan has one alternative
per plan, weighted by its share of the training rows (the plan against the plan mix). Positive =
the member's value raises the risk against a typical member. All perturbed copies of a batch of
members are scored in one ONNX call (1 + 6 + number of plans rows per member).
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
    FactorGroup("plan_cycle", ("days_to_plan_end",)),
    FactorGroup("plan", tuple(FEATURE_NAMES[i] for i in PLAN_COLUMNS)),
)


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
            if group.code == "plan":
                shares = X[:, list(PLAN_COLUMNS)].mean(axis=0)
                alternatives[group.code] = tuple(
                    (tuple(float(v) for v in np.eye(len(PLAN_COLUMNS))[i]), float(share))
                    for i, share in enumerate(shares)
                    if share > 0
                )
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
        return cls(
            {
                code: tuple((tuple(a["values"]), float(a["weight"])) for a in alts)
                for code, alts in data.items()
            }
        )


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
