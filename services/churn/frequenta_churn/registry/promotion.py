"""The registry's rules, pure: version labels, the hold-out comparison behind a promotion, and
which version a rollback returns to.

- A candidate beats the serving model when its PR-AUC on the candidate's own hold-out is
  strictly higher than the serving model's PR-AUC on the very same rows (both scored through
  their ONNX graphs). A tie is not a win: the serving model stays.
- PR-AUC is average precision, computed here with numpy exactly as scikit-learn's
  ``average_precision_score`` does (ties share one threshold), so a serving process compares
  models without importing scikit-learn.
- The promotion history is a stack: a promotion pushes its version, a rollback pops the
  serving one. Rolling back twice goes two promotions back, never forth and back.
"""

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import numpy as np


class PromotionReason(StrEnum):
    FIRST = "first"  # no version was serving
    BETTER = "better"  # beat the serving version on the same hold-out
    FORCED = "forced"  # promoted on request without beating it
    ROLLBACK = "rollback"  # back to the version served before the current one


class Scorer(Protocol):
    def risk(self, X: np.ndarray) -> np.ndarray: ...


ScorerFactory = Callable[[bytes], Scorer]

SHORT_ALGORITHM_NAMES = {
    "gradient_boosting": "hgb",
    "logistic_regression": "logreg",
    "recency_rule": "recency",
}


def version_label(created_at: datetime, algorithm: str, taken: Callable[[str], bool]) -> str:
    """``2026-11-25T06-00-00Z-hgb``: the UTC registration time and the algorithm; ``-2``,
    ``-3``... appended while ``taken`` says the label exists."""
    short = SHORT_ALGORITHM_NAMES.get(algorithm, algorithm.replace("_", "-"))
    base = f"{created_at:%Y-%m-%dT%H-%M-%SZ}-{short}"
    label, n = base, 1
    while taken(label):
        n += 1
        label = f"{base}-{n}"
    return label


@dataclass(frozen=True, eq=False)
class Holdout:
    """A version's hold-out rows: float32 features and 0/1 labels."""

    X: np.ndarray
    y: np.ndarray

    def pack(self) -> bytes:
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer, X=np.asarray(self.X, dtype=np.float32), y=np.asarray(self.y, dtype=np.int8)
        )
        return buffer.getvalue()

    @classmethod
    def unpack(cls, data: bytes) -> "Holdout":
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(X=arrays["X"], y=arrays["y"])


def average_precision(y: np.ndarray, scores: np.ndarray) -> float:
    """Average precision (the step-wise PR-AUC), as scikit-learn computes it."""
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=np.float64)
    if y.size == 0 or not y.any():
        raise ValueError("average precision needs at least one positive row")
    order = np.argsort(-scores, kind="mergesort")
    ranked, hits = scores[order], y[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(ranked)), ranked.size - 1]
    true_positives = np.cumsum(hits)[last_of_each_score]
    precision = true_positives / (last_of_each_score + 1)
    recall = true_positives / true_positives[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


@dataclass(frozen=True)
class Comparison:
    """Both models' PR-AUC on the candidate's hold-out rows."""

    candidate_pr_auc: float
    serving_pr_auc: float
    rows: int

    @property
    def better(self) -> bool:
        return self.candidate_pr_auc > self.serving_pr_auc


def compare(holdout: Holdout, candidate: Scorer, serving: Scorer) -> Comparison:
    X = np.asarray(holdout.X, dtype=np.float32)
    return Comparison(
        candidate_pr_auc=average_precision(holdout.y, candidate.risk(X)),
        serving_pr_auc=average_precision(holdout.y, serving.risk(X)),
        rows=int(holdout.y.size),
    )


def serving_stack(history: Sequence[tuple[str, str]]) -> list[str]:
    """The versions a rollback can return to, oldest first, the serving one last, from the
    promotion history ``(version, reason)`` in order."""
    stack: list[str] = []
    for version, reason in history:
        if reason == PromotionReason.ROLLBACK:
            stack.pop()
            if not stack or stack[-1] != version:
                raise ValueError(f"promotion history inconsistent at the rollback to {version}")
        else:
            stack.append(version)
    return stack


def rollback_target(history: Sequence[tuple[str, str]]) -> str | None:
    """The version served before the current one, None when there is none."""
    stack = serving_stack(history)
    return stack[-2] if len(stack) >= 2 else None
