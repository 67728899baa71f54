"""The model registry: versions (ONNX graph, feature schema, training window, data counts,
hold-out metrics, risk bands) in churn's database, the promotion history whose latest row is
the serving version, promotion on the same hold-out, rollback (docs/model.md, "Registry")."""

from frequenta_churn.registry.service import (
    NO_MODEL_MESSAGE,
    LoadedModel,
    ModelRegistry,
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
