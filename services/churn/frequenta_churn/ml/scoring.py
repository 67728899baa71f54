"""The serving side of a model: an onnxruntime session that scores a float32 feature matrix in
one call. Imports neither scikit-learn nor skl2onnx, so a serving process stays light."""

import numpy as np
import onnxruntime as ort

INPUT_NAME = "features"


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
