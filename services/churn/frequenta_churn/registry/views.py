"""What the registry answers: a version as the API shows it, the serving pointer, a loaded
model, the outcome of a registration, and its errors' wording."""

from dataclasses import dataclass
from datetime import datetime

from frequenta_churn.ml.schema import ModelSchema
from frequenta_churn.models import ModelPromotion, RegisteredModel
from frequenta_churn.registry.promotion import Comparison, PromotionReason
from frequenta_kit.errors import NotFound

NO_MODEL_MESSAGE = (
    "No churn model has been trained yet. Risk scores appear once the first model is trained "
    "from the gym's attendance history."
)


@dataclass(frozen=True)
class ModelView:
    """A version as the API shows it."""

    model: RegisteredModel
    serving: bool
    # For the serving version: the promotion (or rollback) that made it serve.
    promotion: ModelPromotion | None = None


@dataclass(frozen=True)
class ServingPointer:
    """What serves now; a new ``promotion_id`` means the serving model changed."""

    version: str
    promotion_id: int
    promoted_at: datetime


@dataclass(frozen=True)
class LoadedModel:
    """What a serving process loads to score with a version."""

    version: str
    algorithm: str
    onnx: bytes
    schema: ModelSchema


@dataclass(frozen=True)
class Registration:
    version: str
    promoted: bool
    reason: PromotionReason | None
    # Both models' PR-AUC on the new version's hold-out, when a comparison was made.
    comparison: Comparison | None


def version_not_found(version: str) -> NotFound:
    return NotFound(
        "MODEL_VERSION_NOT_FOUND", f"No model version {version!r} is registered.", field="version"
    )
