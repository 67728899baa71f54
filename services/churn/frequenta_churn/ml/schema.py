"""What a serving process needs besides the ONNX bytes, as plain data for the registry: the
feature list it was trained on, the explanation reference and the risk bands."""

from collections.abc import Mapping
from dataclasses import dataclass

from frequenta_churn.ml.explain import Reference
from frequenta_churn.ml.features import FEATURE_NAMES, FEATURE_SCHEMA_VERSION
from frequenta_churn.ml.wording import RiskBands


@dataclass(frozen=True)
class ModelSchema:
    """What a serving process needs besides the ONNX bytes."""

    feature_names: tuple[str, ...]
    feature_descriptions: tuple[str, ...]
    feature_schema_version: int
    input_name: str
    horizon_days: int
    reference: Reference
    bands: RiskBands

    def to_dict(self) -> dict:
        return {
            "feature_names": list(self.feature_names),
            "feature_descriptions": list(self.feature_descriptions),
            "feature_schema_version": self.feature_schema_version,
            "input_name": self.input_name,
            "horizon_days": self.horizon_days,
            "reference": self.reference.to_dict(),
            "bands": {"medium": self.bands.medium, "high": self.bands.high},
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> "ModelSchema":
        return cls(
            feature_names=tuple(data["feature_names"]),
            feature_descriptions=tuple(data["feature_descriptions"]),
            feature_schema_version=int(data["feature_schema_version"]),
            input_name=data["input_name"],
            horizon_days=int(data["horizon_days"]),
            reference=Reference.from_dict(data["reference"]),
            bands=RiskBands(**data["bands"]),
        )

    def matches_code(self) -> bool:
        """True when this process computes the features the model was trained on (serving must
        refuse a model for which this is False)."""
        return (
            self.feature_names == FEATURE_NAMES
            and self.feature_schema_version == FEATURE_SCHEMA_VERSION
        )
