"""Export a fitted candidate to ONNX and check parity with scikit-learn (the scorer itself is in
scoring.py, re-exported here).

The graph takes one float32 input ``features`` (rows x len(FEATURES)) and returns the
probabilities as a plain tensor (ZipMap disabled), so one call scores a whole batch. Parity is
the largest absolute difference between the two runtimes' positive-class probabilities; the
training refuses a model above PARITY_TOLERANCE on any hold-out row.
"""

import warnings

import numpy as np
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType

from frequenta_churn.ml.candidates import predict_risk
from frequenta_churn.ml.features import FEATURES
from frequenta_churn.ml.scoring import INPUT_NAME, OnnxScorer

PARITY_TOLERANCE = 1e-5
__all__ = ["INPUT_NAME", "PARITY_TOLERANCE", "OnnxScorer", "export_onnx", "parity_max_diff"]


def export_onnx(model, n_features: int = len(FEATURES)) -> bytes:
    # skl2onnx 1.20's tree converters pass booleans where onnx expects ints; onnx 1.23 warns
    # (and says protobuf 7.34 will refuse). The pins keep this working; the warning is noise.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Expected an int, got a boolean.*")
        onx = to_onnx(
            model,
            initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
            options={"zipmap": False},
        )
    return onx.SerializeToString()


def parity_max_diff(model, scorer: OnnxScorer, X: np.ndarray) -> float:
    """Largest |onnxruntime - scikit-learn| positive-class probability over the rows."""
    X32 = np.asarray(X, dtype=np.float32)
    expected = predict_risk(model, X32.astype(np.float64))
    return float(np.max(np.abs(scorer.risk(X32).astype(np.float64) - expected), initial=0.0))
