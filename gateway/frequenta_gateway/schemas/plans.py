"""Plans (`planos`): what the gym sells."""

from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from frequenta_gateway.schemas.common import RequestModel, ResponseModel


def _whole_cents(value: float) -> float:
    if abs(value * 100 - round(value * 100)) > 1e-6:
        raise PydanticCustomError("decimal_places", "Price must have at most 2 decimal places")
    return value


# A price in reais as a JSON number (not a string), at most two decimals.
Price = Annotated[float, Field(strict=True, ge=0, le=1_000_000), AfterValidator(_whole_cents)]

PLAN_EXAMPLE = {
    "id": 1,
    "codigo": "mensal",
    "nome": "Plano Mensal",
    "duracao_meses": 1,
    "preco": 119.9,
    "ativo": True,
}


class Plan(ResponseModel):
    """A membership plan."""

    id: int = Field(description="Plan id.", examples=[1])
    codigo: str = Field(description="Short unique code.", examples=["mensal"])
    nome: str = Field(description="Display name.", examples=["Plano Mensal"])
    duracao_meses: int = Field(description="Months per billing cycle.", examples=[1])
    preco: float = Field(description="Price per cycle in reais (BRL).", examples=[119.9])
    ativo: bool = Field(description="False once the gym stopped selling it.", examples=[True])

    model_config = ConfigDict(json_schema_extra={"examples": [PLAN_EXAMPLE]})


class PlanCreation(RequestModel):
    """A new plan. The code must be unique: lowercase letters, digits, '-' or '_'."""

    codigo: str = Field(
        min_length=1,
        max_length=40,
        description="Unique short code, 2 to 40 characters.",
        examples=["trimestral-promo"],
    )
    nome: str = Field(
        min_length=1,
        max_length=100,
        description="Display name, 2 to 100 characters.",
        examples=["Trimestral Promocional"],
    )
    duracao_meses: int = Field(
        strict=True,
        ge=1,
        le=1200,
        description="Months per billing cycle (1 to 36).",
        examples=[3],
    )
    preco: Price = Field(description="Price per cycle in reais, e.g. 299.90.", examples=[299.9])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "codigo": "trimestral-promo",
                    "nome": "Trimestral Promocional",
                    "duracao_meses": 3,
                    "preco": 299.9,
                }
            ]
        }
    )
