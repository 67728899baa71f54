"""ONNX export: float32 input, plain probability tensor, and the same probabilities as
scikit-learn within 1e-5 on every hold-out row, for the chosen model and for every candidate."""

import subprocess
import sys

import numpy as np
import onnx
import pytest

from frequenta_churn.ml.candidates import predict_risk
from frequenta_churn.ml.features import FEATURES
from frequenta_churn.ml.onnx_export import (
    INPUT_NAME,
    PARITY_TOLERANCE,
    OnnxScorer,
    export_onnx,
    parity_max_diff,
)


def test_the_chosen_model_matches_scikit_learn_on_every_hold_out_row(trained):
    scorer = OnnxScorer(trained.onnx)
    X = trained.holdout.X
    expected = predict_risk(trained.models[trained.chosen], X)
    got = scorer.risk(X.astype(np.float32))
    assert got.shape == (trained.holdout.n,)
    assert np.max(np.abs(got - expected)) <= PARITY_TOLERANCE
    assert trained.parity_max_diff <= PARITY_TOLERANCE


@pytest.mark.parametrize("name", ["logistic_regression", "gradient_boosting", "recency_rule"])
def test_every_candidate_converts_with_parity(trained, name):
    model = trained.models[name]
    scorer = OnnxScorer(export_onnx(model))
    assert parity_max_diff(model, scorer, trained.holdout.X) <= PARITY_TOLERANCE


def test_the_graph_takes_float32_rows_and_returns_a_tensor_not_a_zipmap(trained):
    graph = onnx.load_from_string(trained.onnx).graph
    (feature_input,) = graph.input
    assert feature_input.name == INPUT_NAME
    assert feature_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert feature_input.type.tensor_type.shape.dim[1].dim_value == len(FEATURES)
    assert all(output.type.HasField("tensor_type") for output in graph.output)


def test_the_scorer_refuses_rows_it_cannot_score(trained):
    scorer = OnnxScorer(trained.onnx)
    with pytest.raises(ValueError, match="features"):
        scorer.risk(np.zeros((2, len(FEATURES) - 1), dtype=np.float32))
    bad = np.zeros((1, len(FEATURES)), dtype=np.float32)
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        scorer.risk(bad)


def test_serving_needs_neither_scikit_learn_nor_skl2onnx():
    code = (
        "import sys\n"
        "import frequenta_churn.ml.scoring, frequenta_churn.ml.features\n"
        "import frequenta_churn.ml.explain, frequenta_churn.ml.schema\n"
        "print(sorted(m for m in ('sklearn', 'skl2onnx') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
