"""Alerts on members' attendance and their thresholds (docs/alerts-and-outcomes.md)."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from frequenta_gateway.schemas.common import RequestModel, ResponseModel


class AlertKind(StrEnum):
    """What an alert is about."""

    NO_FIRST_VISIT = "sem_visita_inicial"
    FEW_EARLY_VISITS = "poucas_visitas_inicio"
    INACTIVITY = "inatividade"


ALERT_EXAMPLE = {
    "aluno_id": 42,
    "nome": "Ana Souza",
    "plano": "mensal",
    "tipo": "inatividade",
    "estagio": 14,
    "aberto_em": "2025-03-20T03:00:00Z",
    "descricao": "16 dias sem visitar a academia (estágio de 14 dias).",
    "dias_sem_visita": 16,
    "ultimo_checkin": "2025-03-06T10:12:00Z",
    "mes_inicial": None,
    "visitas_mes_inicial": None,
}

THRESHOLDS_EXAMPLE = {
    "dias_sem_visita_inicial": 14,
    "visitas_minimas_mes": 4,
    "dias_periodo_inicial": 90,
    "estagios_inatividade_dias": [7, 14, 30],
}


class Alert(ResponseModel):
    """An open alert of an active member; it closes by itself at the member's next visit."""

    aluno_id: int = Field(description="The member.", examples=[42])
    nome: str = Field(description="The member's name.", examples=["Ana Souza"])
    plano: str = Field(description="The member's plan code.", examples=["mensal"])
    tipo: AlertKind = Field(
        description="`sem_visita_inicial`: no visit within `dias_sem_visita_inicial` days of "
        "joining; `poucas_visitas_inicio`: fewer than `visitas_minimas_mes` visits in a 30-day "
        "month of the first `dias_periodo_inicial` days, none since; `inatividade`: days "
        "without a visit reached a stage of `estagios_inatividade_dias`.",
        examples=["inatividade"],
    )
    estagio: int | None = Field(
        description="`inatividade`: the highest stage reached, in days; null otherwise.",
        examples=[14],
    )
    aberto_em: datetime = Field(
        description="When it opened: the start of the gym-local day the condition was met.",
        examples=["2025-03-20T03:00:00Z"],
    )
    descricao: str = Field(description="The alert in words (pt-BR).")
    dias_sem_visita: int = Field(
        description="Gym-local days since the last visit (since joining if none).", examples=[16]
    )
    ultimo_checkin: datetime | None = Field(
        description="Entry instant of the last visit; null if the member never came.",
        examples=["2025-03-06T10:12:00Z"],
    )
    mes_inicial: int | None = Field(
        default=None,
        description="`poucas_visitas_inicio`: the month of membership (1-based) with too few "
        "visits; null otherwise.",
        examples=[None],
    )
    visitas_mes_inicial: int | None = Field(
        default=None,
        description="`poucas_visitas_inicio`: the visits in that month; null otherwise.",
        examples=[None],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [ALERT_EXAMPLE]})


class AlertPage(ResponseModel):
    """A page of open alerts, most urgent first."""

    itens: list[Alert] = Field(description="The alerts of this page.")
    total: int = Field(description="Open alerts matching the filter.", examples=[1])
    pagina: int = Field(description="1-based page number.", examples=[1])
    tamanho: int = Field(description="Page size asked for.", examples=[50])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"itens": [ALERT_EXAMPLE], "total": 1, "pagina": 1, "tamanho": 50}]
        }
    )


class MemberAlerts(ResponseModel):
    """The open alerts of one member."""

    aluno_id: int = Field(description="The member.", examples=[42])
    itens: list[Alert] = Field(description="Open alerts, most urgent first; empty if none.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"aluno_id": 42, "itens": [ALERT_EXAMPLE]}]}
    )


# One inactivity stage: days without a visit.
Stage = Annotated[int, Field(strict=True, ge=1, le=365)]


class ThresholdsInput(RequestModel):
    """The alert thresholds, every value."""

    dias_sem_visita_inicial: int = Field(
        strict=True,
        ge=1,
        le=365,
        description="`sem_visita_inicial` after this many days since joining without a visit "
        "(1 to 365).",
        examples=[14],
    )
    visitas_minimas_mes: int = Field(
        strict=True,
        ge=1,
        le=31,
        description="`poucas_visitas_inicio` below this many visits in a 30-day month (1 to 31).",
        examples=[4],
    )
    dias_periodo_inicial: int = Field(
        strict=True,
        ge=30,
        le=365,
        description="Days after joining watched month by month (30 to 365; whole 30-day months "
        "are checked).",
        examples=[90],
    )
    estagios_inatividade_dias: list[Stage] = Field(
        min_length=1,
        max_length=10,
        description="Inactivity stages in days without a visit: 1 to 10 values, each 1 to 365, "
        "strictly increasing.",
        examples=[[7, 14, 30]],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [THRESHOLDS_EXAMPLE]})

    @field_validator("estagios_inatividade_dias")
    @classmethod
    def _increasing(cls, stages: list[int]) -> list[int]:
        if any(later <= earlier for earlier, later in zip(stages, stages[1:], strict=False)):
            raise PydanticCustomError(
                "stages_increasing",
                "estagios_inatividade_dias must be strictly increasing, e.g. [7, 14, 30]; "
                "got {stages}",
                {"stages": stages},
            )
        return stages


class Thresholds(ResponseModel):
    """The alert thresholds in force and who changed them last."""

    dias_sem_visita_inicial: int = Field(
        description="`sem_visita_inicial` after this many days since joining without a visit.",
        examples=[14],
    )
    visitas_minimas_mes: int = Field(
        description="`poucas_visitas_inicio` below this many visits in a 30-day month.",
        examples=[4],
    )
    dias_periodo_inicial: int = Field(
        description="Days after joining watched month by month (whole 30-day months).",
        examples=[90],
    )
    estagios_inatividade_dias: list[int] = Field(
        description="Inactivity stages in days without a visit, increasing.",
        examples=[[7, 14, 30]],
    )
    alterado_por: str | None = Field(
        description="Login of who changed them last; null for the defaults.", examples=["ana"]
    )
    alterado_em: datetime | None = Field(
        description="When they were changed last; null for the defaults.",
        examples=["2025-03-20T14:00:00Z"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **THRESHOLDS_EXAMPLE,
                    "alterado_por": "ana",
                    "alterado_em": "2025-03-20T14:00:00Z",
                }
            ]
        }
    )
