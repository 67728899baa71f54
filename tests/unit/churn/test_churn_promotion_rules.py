"""The registry's pure rules: PR-AUC as scikit-learn computes it (without importing it in
serving), the hold-out's round trip, labels, and the rollback stack."""

from datetime import UTC, datetime

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from frequenta_churn.registry.promotion import (
    Holdout,
    average_precision,
    rollback_target,
    serving_stack,
    version_label,
)


@pytest.mark.parametrize("seed", range(6))
def test_average_precision_is_scikit_learns_ties_included(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = (rng.random(500) < 0.15).astype(np.int8)
    y[0] = 1
    scores = np.round(rng.random(500) + 0.4 * y, 1 + seed % 3).astype(np.float32)  # many ties
    assert average_precision(y, scores) == pytest.approx(average_precision_score(y, scores))


def test_average_precision_needs_a_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        average_precision(np.zeros(5), np.arange(5))


def test_the_holdout_round_trips_exactly() -> None:
    X = np.round(np.random.default_rng(1).random((50, 15)) * 64) / 64
    y = (np.arange(50) % 7 == 0).astype(np.int8)
    back = Holdout.unpack(Holdout(X, y).pack())
    assert back.X.dtype == np.float32 and np.array_equal(back.X, X.astype(np.float32))
    assert np.array_equal(back.y, y)


def test_labels_carry_the_utc_time_and_the_algorithm() -> None:
    at = datetime(2026, 6, 1, 9, 0, 5, tzinfo=UTC)
    taken = {"2026-06-01T09-00-05Z-hgb", "2026-06-01T09-00-05Z-hgb-2"}
    assert version_label(at, "logistic_regression", taken.__contains__) == (
        "2026-06-01T09-00-05Z-logreg"
    )
    assert version_label(at, "gradient_boosting", taken.__contains__) == (
        "2026-06-01T09-00-05Z-hgb-3"
    )


def test_the_rollback_stack() -> None:
    history = [("v1", "first"), ("v2", "better"), ("v3", "forced")]
    assert serving_stack(history) == ["v1", "v2", "v3"]
    assert rollback_target(history) == "v2"
    history.append(("v2", "rollback"))
    assert rollback_target(history) == "v1"
    history += [("v1", "rollback"), ("v3", "forced")]
    assert serving_stack(history) == ["v1", "v3"]
    assert rollback_target([("v1", "first")]) is None
    assert rollback_target([]) is None
    with pytest.raises(ValueError, match="inconsistent"):
        serving_stack([("v1", "first"), ("v2", "better"), ("v2", "rollback")])


def test_the_serving_process_loads_neither_scikit_learn_nor_skl2onnx() -> None:
    """The churn server and its registry compare models with onnxruntime and numpy only."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import frequenta_churn.__main__, frequenta_churn.bootstrap, frequenta_churn.registry\n"
        "print(sorted(m for m in ('sklearn', 'skl2onnx') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
