"""Outcome reports: cohort retention, monthly attrition, weekly trend
(docs/alerts-and-outcomes.md)."""

from datetime import date

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import ResponseModel
from frequenta_gateway.schemas.members import CancellationReason

COHORT_EXAMPLE = {
    "mes_entrada": "2025-01",
    "plano": None,
    "membros": 120,
    "retidos": [0.95, 0.9, None],
}
PLAN_ATTRITION_EXAMPLE = {
    "plano": "mensal",
    "ativos_inicio": 800,
    "cancelamentos": 30,
    "taxa_atrito": 0.0375,
}
REASON_EXAMPLE = {"codigo_motivo": "preco", "cancelamentos": 20}
MONTH_EXAMPLE = {
    "mes": "2025-03",
    "ativos_inicio": 1500,
    "cancelamentos": 45,
    "novos_alunos": 60,
    "taxa_atrito": 0.03,
    "por_plano": [PLAN_ATTRITION_EXAMPLE],
    "por_motivo": [REASON_EXAMPLE],
}
PERIOD_EXAMPLE = {
    "data_inicio": "2025-03-17",
    "data_fim": "2025-03-19",
    "visitas": 620,
    "alunos_unicos": 410,
    "novos_alunos": 5,
    "cancelamentos": 3,
    "media_duracao_minutos": 61.0,
}


class Cohort(ResponseModel):
    """The members who joined in one gym-local month, on one plan or on any."""

    mes_entrada: str = Field(description="Join month YYYY-MM.", examples=["2025-03"])
    plano: str | None = Field(
        description="Plan code; null for the cohort of every plan.", examples=[None]
    )
    membros: int = Field(description="Members who joined that month (and plan).", examples=[120])
    retidos: list[float | None] = Field(
        description="Share (0..1) still active 1, 2, ... N months after their own join "
        "instant; null where not every member of the cohort has been a member that long yet.",
        examples=[[0.95, 0.9, None]],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [COHORT_EXAMPLE]})


class CohortReport(ResponseModel):
    """Cohort retention by join month and plan."""

    meses: int = Field(description="N: how many months after joining `retidos` covers.")
    coortes: list[Cohort] = Field(
        description="Oldest join month first; in each month the all-plans cohort (`plano` "
        "null) first, then each plan by code."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "meses": 3,
                    "coortes": [
                        {
                            "mes_entrada": "2025-01",
                            "plano": None,
                            "membros": 120,
                            "retidos": [0.95, 0.9, None],
                        },
                        {
                            "mes_entrada": "2025-01",
                            "plano": "mensal",
                            "membros": 80,
                            "retidos": [0.93, 0.86, None],
                        },
                    ],
                }
            ]
        }
    )


class PlanAttrition(ResponseModel):
    """Attrition of one month on one plan."""

    plano: str = Field(description="Plan code.", examples=["mensal"])
    ativos_inicio: int = Field(description="Members active at the month's start.", examples=[800])
    cancelamentos: int = Field(description="Memberships ended in the month.", examples=[24])
    taxa_atrito: float | None = Field(
        description="cancelamentos / ativos_inicio; null with no member active at the start.",
        examples=[0.03],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [PLAN_ATTRITION_EXAMPLE]})


class ReasonCount(ResponseModel):
    """Cancellations of one month with one reason code."""

    codigo_motivo: CancellationReason = Field(description="Reason code.", examples=["preco"])
    cancelamentos: int = Field(description="Memberships ended with it.", examples=[10])

    model_config = ConfigDict(json_schema_extra={"examples": [REASON_EXAMPLE]})


class MonthAttrition(ResponseModel):
    """Attrition of one gym-local calendar month."""

    mes: str = Field(description="Month YYYY-MM.", examples=["2025-03"])
    ativos_inicio: int = Field(
        description="Members active at the month's first instant.", examples=[1500]
    )
    cancelamentos: int = Field(
        description="Memberships that ended within the month (so far, for the current month).",
        examples=[45],
    )
    novos_alunos: int = Field(description="Members who joined within the month.", examples=[60])
    taxa_atrito: float | None = Field(
        description="cancelamentos / ativos_inicio; null with no member active at the start.",
        examples=[0.03],
    )
    por_plano: list[PlanAttrition] = Field(description="By plan, plan code order.")
    por_motivo: list[ReasonCount] = Field(description="By reason code, most cancellations first.")

    model_config = ConfigDict(json_schema_extra={"examples": [MONTH_EXAMPLE]})


class AttritionReport(ResponseModel):
    """Attrition per calendar month, oldest first."""

    meses: list[MonthAttrition] = Field(description="One entry per month, oldest first.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "meses": [
                        {
                            "mes": "2025-03",
                            "ativos_inicio": 1500,
                            "cancelamentos": 45,
                            "novos_alunos": 60,
                            "taxa_atrito": 0.03,
                            "por_plano": [
                                {
                                    "plano": "mensal",
                                    "ativos_inicio": 800,
                                    "cancelamentos": 30,
                                    "taxa_atrito": 0.0375,
                                }
                            ],
                            "por_motivo": [{"codigo_motivo": "preco", "cancelamentos": 20}],
                        }
                    ]
                }
            ]
        }
    )


class TrendPeriod(ResponseModel):
    """Attendance, enrollments and cancellations of gym-local days `data_inicio`..`data_fim`."""

    data_inicio: date = Field(description="First local date (a Monday for a week).")
    data_fim: date = Field(description="Last local date (Sunday, or `ate` for the last week).")
    visitas: int = Field(description="Visits entered.", examples=[1450])
    alunos_unicos: int = Field(description="Distinct members who visited.", examples=[610])
    novos_alunos: int = Field(description="Members who joined.", examples=[14])
    cancelamentos: int = Field(description="Memberships that ended.", examples=[9])
    media_duracao_minutos: float | None = Field(
        description="Mean duration of the visits with an exit (whole minutes each); null if none.",
        examples=[62.5],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [PERIOD_EXAMPLE]})


class WeeklyTrend(ResponseModel):
    """Weekly trend up to `ate`, and `ate`'s weekday in the weeks before."""

    ate: date = Field(description="The last local date covered.", examples=["2025-03-19"])
    semanas: list[TrendPeriod] = Field(
        description="Monday-to-Sunday weeks, oldest first; the last one ends at `ate`."
    )
    mesmo_dia_semana: list[TrendPeriod] = Field(
        description="`ate` itself, then the same weekday 1, 2, 3 and 4 weeks before."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ate": "2025-03-19",
                    "semanas": [
                        {
                            "data_inicio": "2025-03-17",
                            "data_fim": "2025-03-19",
                            "visitas": 620,
                            "alunos_unicos": 410,
                            "novos_alunos": 5,
                            "cancelamentos": 3,
                            "media_duracao_minutos": 61.0,
                        }
                    ],
                    "mesmo_dia_semana": [
                        {
                            "data_inicio": "2025-03-19",
                            "data_fim": "2025-03-19",
                            "visitas": 210,
                            "alunos_unicos": 210,
                            "novos_alunos": 2,
                            "cancelamentos": 1,
                            "media_duracao_minutos": 60.0,
                        }
                    ],
                }
            ]
        }
    )
