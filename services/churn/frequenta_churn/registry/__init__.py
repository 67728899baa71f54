"""The model registry: versions (ONNX graph, feature schema, training window, data counts,
hold-out metrics, risk bands) in churn's database, the promotion history whose latest row is
the serving version, promotion on the same hold-out, rollback (docs/model.md, "Retraining and
the registry")."""

from frequenta_churn.registry.service import ModelRegistry
from frequenta_churn.registry.views import (
    NO_MODEL_MESSAGE,
    LoadedModel,
    ModelView,
    Registration,
    ServingPointer,
)

__all__ = [
    "NO_MODEL_MESSAGE",
    "LoadedModel",
    "ModelRegistry",
    "ModelView",
    "Registration",
    "ServingPointer",
]
