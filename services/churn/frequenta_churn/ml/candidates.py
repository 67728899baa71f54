"""The models compared on the hold-out, built unfitted from a seed.

- recency_rule: the baseline staff would use by hand, risk = f(days since the last visit), f a
  logistic curve fitted on the training set (monotone, so the ranking is exactly "longest absence
  first"; fitted, so its probabilities are comparable in Brier and calibration).
- logistic_regression: standardised features (scaling suits a linear model) and an L2 logistic
  regression.
- gradient_boosting: HistGradientBoostingClassifier with monotonic constraints from FEATURES (risk
  never falls with a longer absence, never rises with more visits), fed the features as they are:
  no scaler in front of trees (scaling in float64 vs float32 moves values across split thresholds
  and breaks ONNX parity), one-hot plans (native categorical support does not convert), no NaN
  (features impute explicitly; tree converters have been seen to drop learned missing-value
  routing).

Every fit runs with one thread (OpenMP and BLAS through threadpoolctl): on the 2-core machines
this runs on, the default thread count made a boosting fit about 20 times slower.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from frequenta_churn.ml.features import FEATURES, INDEX

THREADS = 1


@dataclass(frozen=True)
class Candidate:
    name: str
    description: str
    build: Callable[[int], object]  # seed -> an unfitted scikit-learn classifier


def recency_rule(seed: int) -> Pipeline:
    select = ColumnTransformer(
        [("days_since_last_visit", "passthrough", [INDEX["days_since_last_visit"]])],
        remainder="drop",
    )
    return Pipeline([("select", select), ("logit", LogisticRegression(random_state=seed))])


def logistic_regression(seed: int) -> Pipeline:
    return Pipeline(
        [
            ("scale", StandardScaler()),
            ("logit", LogisticRegression(C=1.0, max_iter=2000, random_state=seed)),
        ]
    )


def gradient_boosting(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        # small trees, few of them: on simulated gyms (3,000 members, 15 months) deeper or
        # longer ensembles fitted the training months' noise and lost PR-AUC on the hold-out
        learning_rate=0.05,
        max_iter=150,
        max_leaf_nodes=8,
        min_samples_leaf=100,
        l2_regularization=1.0,
        monotonic_cst=[feature.monotonic for feature in FEATURES],
        early_stopping=False,
        random_state=seed,
    )


CANDIDATES: tuple[Candidate, ...] = (
    Candidate("recency_rule", "logistic curve of days since the last visit", recency_rule),
    Candidate(
        "logistic_regression", "standardised features, L2 logistic regression", logistic_regression
    ),
    Candidate(
        "gradient_boosting", "HistGradientBoosting with monotonic constraints", gradient_boosting
    ),
)


def fit_candidates(
    X: np.ndarray, y: np.ndarray, *, seed: int, candidates: tuple[Candidate, ...] = CANDIDATES
) -> Mapping[str, object]:
    """Every candidate fitted on the same rows, single-threaded."""
    if not np.all(np.isfinite(X)):
        raise ValueError("features must be finite: impute in features.py, never in the model")
    if np.unique(y).size < 2:
        raise ValueError("the training set needs both cancellations and stays")
    fitted = {}
    with threadpool_limits(limits=THREADS):
        for candidate in candidates:
            model = candidate.build(seed)
            model.fit(X, y)
            fitted[candidate.name] = model
    return fitted


def predict_risk(model, X: np.ndarray) -> np.ndarray:
    """scikit-learn's probability of the positive class (float64)."""
    with threadpool_limits(limits=THREADS):
        return model.predict_proba(np.asarray(X, dtype=np.float64))[:, 1]
