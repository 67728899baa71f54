"""Hold-out metrics against scikit-learn's own functions, and hand-worked top-k precision."""

import math

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_score,
    roc_auc_score,
)

from frequenta_churn.ml.evaluation import choose_best, evaluate, precision_at


@pytest.fixture
def scored():
    rng = np.random.default_rng(4)
    p = rng.beta(1, 9, 5000)
    y = (rng.random(5000) < p * 1.2).astype(np.int64)
    return y, p


def test_ranking_and_probability_metrics_equal_scikit_learns(scored):
    y, p = scored
    metrics = evaluate(y, p)
    assert metrics.roc_auc == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.pr_auc == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert metrics.brier == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert metrics.n == 5000 and metrics.positives == int(y.sum())
    assert metrics.base_rate == pytest.approx(y.mean())


def test_the_reliability_curve_is_scikit_learns_uniform_calibration_curve(scored):
    y, p = scored
    metrics = evaluate(y, p)
    observed, predicted = calibration_curve(y, p, n_bins=10, strategy="uniform")
    curve = metrics.reliability
    assert np.allclose([b.observed_rate for b in curve], observed)
    assert np.allclose([b.mean_predicted for b in curve], predicted)
    assert sum(b.count for b in curve) == y.size
    counts = np.array([b.count for b in curve])
    expected_ece = np.sum(counts / y.size * np.abs(observed - predicted))
    assert metrics.ece == pytest.approx(expected_ece, abs=1e-12)


def test_top_k_precision_and_lift_without_ties(scored):
    y, p = scored
    metrics = evaluate(y, p)
    for fraction, precision, lift in (
        (0.05, metrics.precision_top_5, metrics.lift_top_5),
        (0.10, metrics.precision_top_10, metrics.lift_top_10),
    ):
        k = math.ceil(fraction * y.size)
        chosen = np.zeros(y.size, dtype=int)
        chosen[np.argsort(-p)[:k]] = 1
        assert precision == pytest.approx(precision_score(y, chosen), abs=1e-12)
        assert lift == pytest.approx(precision / y.mean())


def test_ties_at_the_cut_count_in_proportion():
    # top 20% of 10 rows = 2 rows: one clear 0.9 (positive), then 4 rows tied at 0.5 of which
    # 1 is positive -> 1 + 1 * (1/4) expected hits out of 2.
    p = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    y = np.array([1, 1, 0, 0, 0, 0, 0, 0, 1, 0])
    assert precision_at(y, p, 0.2) == pytest.approx(1.25 / 2)


def test_the_best_candidate_is_the_highest_pr_auc(scored):
    y, p = scored
    noisy = np.clip(p + np.random.default_rng(1).normal(0, 0.1, p.size), 0, 1)
    metrics = {"worse": evaluate(y, noisy), "better": evaluate(y, p)}
    assert choose_best(metrics) == "better"


def test_a_hold_out_without_cancellations_is_refused():
    with pytest.raises(ValueError, match="both"):
        evaluate(np.zeros(10), np.linspace(0, 1, 10))
