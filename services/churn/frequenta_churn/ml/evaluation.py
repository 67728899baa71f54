"""Hold-out metrics of a risk score, and the choice between candidates.

- ROC-AUC, PR-AUC and Brier come from scikit-learn. PR-AUC is average precision (the step-wise
  area, ``average_precision_score``), not the trapezoidal area, which is optimistic.
- Expected calibration error: 10 equal-width bins of predicted probability over [0, 1], binned
  as ``sklearn.calibration.calibration_curve(strategy="uniform")`` does; ECE = sum over non-empty
  bins of (rows in bin / rows) * |observed rate - mean predicted|. The bins are the reliability
  curve.
- Precision in the top q (5%, 10%): the ceil(q * n) highest scores; rows tied with the last one
  taken count in proportion (the expected precision under random tie-breaking), so a coarse score
  such as whole days of absence is not flattered or punished by row order. Lift = that precision
  divided by the base rate.
- The best candidate is the highest PR-AUC: the retention team works down a ranked list, and
  cancellations are the rare class.
"""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

CALIBRATION_BINS = 10
TOP_FRACTIONS = (0.05, 0.10)


@dataclass(frozen=True)
class ReliabilityBin:
    lower: float
    upper: float
    count: int
    mean_predicted: float
    observed_rate: float


@dataclass(frozen=True)
class Metrics:
    n: int
    positives: int
    base_rate: float
    roc_auc: float
    pr_auc: float
    brier: float
    ece: float
    precision_top_5: float
    lift_top_5: float
    precision_top_10: float
    lift_top_10: float
    reliability: tuple[ReliabilityBin, ...]

    def as_dict(self) -> dict:
        return asdict(self)

    def headline(self) -> dict[str, float]:
        return {k: v for k, v in self.as_dict().items() if k != "reliability"}


def reliability_curve(
    y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS
) -> tuple[ReliabilityBin, ...]:
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    result = []
    for b in range(bins):
        mask = ids == b
        count = int(mask.sum())
        if count:
            result.append(
                ReliabilityBin(
                    float(edges[b]),
                    float(edges[b + 1]),
                    count,
                    float(p[mask].mean()),
                    float(y[mask].mean()),
                )
            )
    return tuple(result)


def expected_calibration_error(curve: tuple[ReliabilityBin, ...]) -> float:
    total = sum(b.count for b in curve)
    return sum(b.count / total * abs(b.observed_rate - b.mean_predicted) for b in curve)


def precision_at(y: np.ndarray, p: np.ndarray, fraction: float) -> float:
    """Expected precision of the top ceil(fraction * n) scores under random tie-breaking."""
    k = max(1, math.ceil(fraction * y.size))
    cutoff = np.sort(p)[::-1][k - 1]
    above = p > cutoff
    tied = p == cutoff
    from_ties = k - int(above.sum())
    hits = y[above].sum() + from_ties * y[tied].mean()
    return float(hits / k)


def evaluate(y: np.ndarray, p: np.ndarray) -> Metrics:
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    if y.size == 0 or np.unique(y).size < 2:
        raise ValueError("evaluation needs both cancellations and stays in the hold-out")
    base = float(y.mean())
    curve = reliability_curve(y, p)
    top = {q: precision_at(y, p, q) for q in TOP_FRACTIONS}
    return Metrics(
        n=int(y.size),
        positives=int(y.sum()),
        base_rate=base,
        roc_auc=float(roc_auc_score(y, p)),
        pr_auc=float(average_precision_score(y, p)),
        brier=float(brier_score_loss(y, p)),
        ece=float(expected_calibration_error(curve)),
        precision_top_5=top[0.05],
        lift_top_5=top[0.05] / base,
        precision_top_10=top[0.10],
        lift_top_10=top[0.10] / base,
        reliability=curve,
    )


def choose_best(metrics: Mapping[str, Metrics]) -> str:
    """The candidate with the highest PR-AUC (the first listed on a tie)."""
    return max(metrics, key=lambda name: metrics[name].pr_auc)
