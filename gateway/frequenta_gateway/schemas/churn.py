"""Churn risk (`risco-churn`): probability of cancelling within the horizon, and why."""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import ResponseModel

RiskBand = Literal["baixo", "médio", "alto"]
Direction = Literal["aumenta", "reduz"]

FACTOR_EXAMPLE = {
    "fator": "days_since_last_visit",
    "valor": 21.0,
    "direcao": "aumenta",
    "peso": 0.84,
    "descricao": "21 dias sem vir à academia",
}


class RiskFactor(ResponseModel):
    """One reason behind a prediction."""

    fator: str = Field(
        description="Machine name of the feature.", examples=["days_since_last_visit"]
    )
    valor: float = Field(description="The member's value of that feature.", examples=[21.0])
    direcao: Direction | None = Field(
        description="Whether it raises or lowers the risk.", examples=["aumenta"]
    )
    peso: float = Field(description="Size of the contribution (log-odds units).", examples=[0.84])
    descricao: str = Field(
        description="A sentence for staff, in Portuguese.", examples=["21 dias sem vir à academia"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [FACTOR_EXAMPLE]})


class ChurnRisk(ResponseModel):
    """A member's risk of cancelling, as computed by the serving model."""

    aluno_id: int = Field(description="The member.", examples=[42])
    probabilidade_churn: float = Field(
        ge=0,
        le=1,
        description="Probability of cancelling within `horizonte_dias`.",
        examples=[0.73],
    )
    risco_nivel: RiskBand | None = Field(description="Risk band.", examples=["alto"])
    fatores_risco: list[RiskFactor] = Field(description="Factors, strongest first.")
    recomendacoes: list[str] = Field(
        description="Suggested retention actions, in Portuguese.",
        examples=[["Ligar para o aluno e oferecer uma aula experimental de outra modalidade."]],
    )
    versao_modelo: str = Field(
        description="Version of the model that computed it.", examples=["2025-03-01T06-00-00Z-hgb"]
    )
    horizonte_dias: int = Field(description="Prediction horizon in days.", examples=[30])
    calculado_em: datetime = Field(
        description="When it was computed.", examples=["2025-03-12T15:00:00Z"]
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "aluno_id": 42,
                    "probabilidade_churn": 0.73,
                    "risco_nivel": "alto",
                    "fatores_risco": [FACTOR_EXAMPLE],
                    "recomendacoes": [
                        "Ligar para o aluno e oferecer uma aula experimental de outra modalidade."
                    ],
                    "versao_modelo": "2025-03-01T06-00-00Z-hgb",
                    "horizonte_dias": 30,
                    "calculado_em": "2025-03-12T15:00:00Z",
                }
            ]
        }
    )
