"""Export a fitted candidate to ONNX, score with onnxruntime, and check parity with scikit-learn.

The graph takes one float32 input ``features`` (rows x len(FEATURES)) and returns the
probabilities as a plain tensor (ZipMap disabled), so one call scores a whole batch. Parity is
the largest absolute difference between the two runtimes' positive-class probabilities; the
training refuses a model above PARITY_TOLERANCE on any hold-out row.
"""

import warnings

import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType

from frequenta_churn.ml.candidates import predict_risk
from frequenta_churn.ml.features import FEATURES

INPUT_NAME = "features"
PARITY_TOLERANCE = 1e-5


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


class OnnxScorer:
    """An onnxruntime session on one thread: scores a float32 matrix in one call."""

    def __init__(self, onnx_bytes: bytes) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(
            onnx_bytes, sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name
        outputs = [output.name for output in self._session.get_outputs()]
        self._output = "probabilities" if "probabilities" in outputs else outputs[-1]
        self.n_features = self._session.get_inputs()[0].shape[1]

    def risk(self, X: np.ndarray) -> np.ndarray:
        """Positive-class probability (float32) of each row."""
        X = np.ascontiguousarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected rows of {self.n_features} features, got {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError("features must be finite")
        (probabilities,) = self._session.run([self._output], {self._input: X})
        return probabilities[:, 1]


def parity_max_diff(model, scorer: OnnxScorer, X: np.ndarray) -> float:
    """Largest |onnxruntime - scikit-learn| positive-class probability over the rows."""
    X32 = np.asarray(X, dtype=np.float32)
    expected = predict_risk(model, X32.astype(np.float64))
    return float(np.max(np.abs(scorer.risk(X32).astype(np.float64) - expected), initial=0.0))
