"""Churn risk (`risco-churn`, the at-risk list): probability of cancelling within the horizon,
and why."""

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import ResponseModel

RiskBand = Literal["baixo", "médio", "alto"]
ContactStatus = Literal["controle", "sem_contato", "contatado", "retorno_agendado"]
RetentionGroup = Literal["controle", "contato"]
Direction = Literal["aumenta", "reduz"]


class BandFilter(StrEnum):
    """`nivel_minimo` of the at-risk list ("medio" without the accent is taken too)."""

    BAIXO = "baixo"
    MEDIO = "médio"
    MEDIO_SEM_ACENTO = "medio"
    ALTO = "alto"


FACTOR_EXAMPLE = {
    "fator": "ausencia",
    "atributo": "days_since_last_visit",
    "valor": 12.0,
    "direcao": "aumenta",
    "peso": 1.84,
    "descricao": "12 dias sem vir à academia; o intervalo habitual é de 3 dias",
}
PLAN_FACTOR_EXAMPLE = {
    "fator": "plano_renovacao",
    "atributo": "days_to_plan_end",
    "valor": 9.0,
    "direcao": "aumenta",
    "peso": 0.81,
    "descricao": "plano mensal; o ciclo atual termina em 9 dias",
}
RECOMMENDATIONS_EXAMPLE = [
    "Entrar em contato (ligação ou mensagem) convidando o aluno a voltar e perguntar se algo "
    "atrapalhou a rotina.",
    "Falar com o aluno antes da renovação, com uma oferta de continuidade (a quem renova todo "
    "mês, as vantagens de um plano mais longo).",
]

# One member's risk as answered: the example of the member's route and of each list item.
RISK_EXAMPLE = {
    "probabilidade_churn": 0.31,
    "risco_nivel": "alto",
    "fatores_risco": [FACTOR_EXAMPLE, PLAN_FACTOR_EXAMPLE],
    "recomendacoes": RECOMMENDATIONS_EXAMPLE,
    "versao_modelo": "2025-03-01T06-00-00Z-hgb",
    "horizonte_dias": 30,
    "calculado_em": "2025-03-12T15:00:00Z",
    "historico_limitado": False,
    "plano": "mensal",
    "dias_matricula": 214,
    "ultimo_checkin": "2025-02-28T10:15:00Z",
    "visitas_semana_recentes": 0.5,
    "visitas_semana_habituais": 2.8,
}
RETENTION_EXAMPLE = {
    "status_contato": "sem_contato",
    "ultimo_contato": None,
    "grupo_retencao": "contato",
}


class RiskFactor(ResponseModel):
    """One reason behind a prediction: a group of features that belong together, and how much
    they moved the risk against a typical member of the training data."""

    fator: str = Field(
        description="The factor: `ausencia`, `frequencia`, `regularidade`, `duracao_visita`, "
        "`tempo_matricula` or `plano_renovacao` (the plan and the days to the end of its "
        "current cycle, one factor because the model reads them together).",
        examples=["ausencia"],
    )
    atributo: str = Field(
        description="The feature whose value is `valor` (docs/model.md, Features).",
        examples=["days_since_last_visit"],
    )
    valor: float = Field(description="The member's value of `atributo`.", examples=[12.0])
    direcao: Direction | None = Field(
        description="Whether it raises (`aumenta`) or lowers (`reduz`) the risk.",
        examples=["aumenta"],
    )
    peso: float = Field(
        description="Size of the contribution (log-odds units), comparable across the factors "
        "of one prediction.",
        examples=[1.84],
    )
    descricao: str = Field(
        description="A sentence for staff, in Portuguese.",
        examples=["12 dias sem vir à academia; o intervalo habitual é de 3 dias"],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [FACTOR_EXAMPLE]})


class ChurnRisk(ResponseModel):
    """A member's risk of cancelling, as computed by the serving model."""

    aluno_id: int = Field(description="The member.", examples=[42])
    probabilidade_churn: float = Field(
        ge=0,
        le=1,
        description="Probability of cancelling within `horizonte_dias`.",
        examples=[0.31],
    )
    risco_nivel: RiskBand | None = Field(
        description="Risk band: `alto` from 3x the gym's base rate of the model's training "
        "data, `médio` from 1.5x (thresholds in GET /modelo, `faixas_risco`).",
        examples=["alto"],
    )
    fatores_risco: list[RiskFactor] = Field(
        description="The top 3 factors, strongest first (plus the tenure factor, when "
        "`historico_limitado` and the model gives it weight)."
    )
    recomendacoes: list[str] = Field(
        description="Suggested retention actions, in Portuguese.",
        examples=[RECOMMENDATIONS_EXAMPLE],
    )
    versao_modelo: str = Field(
        description="Version of the model that computed it.", examples=["2025-03-01T06-00-00Z-hgb"]
    )
    horizonte_dias: int = Field(description="Prediction horizon in days.", examples=[30])
    calculado_em: datetime = Field(
        description="When it was computed (the features are as of this instant).",
        examples=["2025-03-12T15:00:00Z"],
    )
    historico_limitado: bool = Field(
        description="True for a member enrolled less than 42 days ago: the model cannot yet "
        "compare their recent frequency with a baseline of their own, so the score leans on "
        "tenure, plan and absence. Still a score; read it as a first estimate.",
        examples=[False],
    )
    plano: str = Field(description="The member's plan code.", examples=["mensal"])
    dias_matricula: int = Field(description="Local days since enrollment.", examples=[214])
    ultimo_checkin: datetime | None = Field(
        description="Entry instant of the last visit; null if none.",
        examples=["2025-02-28T10:15:00Z"],
    )
    visitas_semana_recentes: float | None = Field(
        default=None,
        description="Visits per week over the last 4 weeks (over the days since enrollment "
        "when fewer, at least one week).",
        examples=[0.5],
    )
    visitas_semana_habituais: float | None = Field(
        default=None,
        description="The member's own usual rate: visits per week in the 26 weeks before "
        "those 4 (since enrollment when shorter); null when that leaves under 14 days.",
        examples=[2.8],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"aluno_id": 42, **RISK_EXAMPLE}]})


class AtRiskMember(ChurnRisk):
    """A member of the at-risk list: their risk as of the list's snapshot, their name, and
    where the retention team stands with them (docs/retention.md)."""

    nome: str | None = Field(
        description="The member's name (from attendance); null if it could not be read.",
        examples=["Maria Souza"],
    )
    status_contato: ContactStatus = Field(
        description="`controle` (control group: do not contact), `sem_contato` (no contact in "
        "the last 30 days), `contatado`, `retorno_agendado` (the latest contact scheduled a "
        "call back).",
        examples=["sem_contato"],
    )
    ultimo_contato: datetime | None = Field(
        description="The latest contact recorded; null if none.",
        examples=["2025-03-10T14:00:00Z"],
    )
    grupo_retencao: RetentionGroup | None = Field(
        description="The group drawn when the member was first seen at band `alto`: "
        "`controle` or `contato`; null if never drawn.",
        examples=["contato"],
    )


class AtRiskPage(ResponseModel):
    """A page of active members ranked by risk, highest first."""

    itens: list[AtRiskMember] = Field(description="This page, highest probability first.")
    total: int = Field(description="Members matching the filters across all pages.", examples=[87])
    pagina: int = Field(description="1-based page number.", examples=[1])
    tamanho: int = Field(description="Page size asked for.", examples=[50])
    versao_modelo: str = Field(
        description="Version of the model that scored the list.",
        examples=["2025-03-01T06-00-00Z-hgb"],
    )
    calculado_em: datetime = Field(
        description="When every active member was scored (the list's snapshot, refreshed when "
        "the model changes and every few minutes).",
        examples=["2025-03-12T15:00:00Z"],
    )
    capacidade_diaria: int = Field(
        description="Members the team can call per day (`capacidade`, else the setting "
        "FREQUENTA_RETENTION_DAILY_CALLS).",
        examples=[40],
    )
    cancelamentos_esperados: float = Field(
        description="Sum of the probabilities of every matching member (all pages): the "
        "cancellations expected within the horizon among them.",
        examples=[23.4],
    )
    cancelamentos_esperados_na_capacidade: float = Field(
        description="The same sum over the first `capacidade_diaria` matching members, control "
        "group left out (they are not called).",
        examples=[9.1],
    )
    cobertura_capacidade: float = Field(
        ge=0,
        le=1,
        description="`cancelamentos_esperados_na_capacidade` / `cancelamentos_esperados` "
        "(0 when nothing is expected).",
        examples=[0.389],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "itens": [
                        {"aluno_id": 42, "nome": "Maria Souza", **RISK_EXAMPLE, **RETENTION_EXAMPLE}
                    ],
                    "total": 87,
                    "pagina": 1,
                    "tamanho": 50,
                    "versao_modelo": "2025-03-01T06-00-00Z-hgb",
                    "calculado_em": "2025-03-12T15:00:00Z",
                    "capacidade_diaria": 40,
                    "cancelamentos_esperados": 23.4,
                    "cancelamentos_esperados_na_capacidade": 9.1,
                    "cobertura_capacidade": 0.389,
                }
            ]
        }
    )
