"""Daily attendance reports (`relatorios/diarios`): the build request, the queued job, the
report."""

from datetime import date, datetime

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import CalendarDate, RequestModel, ResponseModel

REPORT_EXAMPLE = {
    "data": "2026-03-02",
    "visitas": 5,
    "alunos_unicos": 4,
    "visitas_por_hora": [{"hora": hora, "visitas": 0} for hora in range(6)]
    + [{"hora": 6, "visitas": 2}, {"hora": 7, "visitas": 1}]
    + [{"hora": hora, "visitas": 0} for hora in range(8, 18)]
    + [{"hora": 18, "visitas": 2}]
    + [{"hora": hora, "visitas": 0} for hora in range(19, 24)],
    "visitas_por_plano": [{"plano": "mensal", "visitas": 3}, {"plano": "anual", "visitas": 2}],
    "media_duracao_minutos": 67.5,
    "novos_alunos": 1,
    "cancelamentos": 0,
    "alunos_risco_alto": 12,
    "gerado_em": "2026-03-03T05:00:02Z",
}

CSV_EXAMPLE = (
    "data,visitas,alunos_unicos,media_duracao_minutos,novos_alunos,cancelamentos,"
    "alunos_risco_alto,gerado_em,hora_00,hora_01,...,hora_23,plano_anual,plano_mensal\r\n"
    "2026-03-02,5,4,67.5,1,0,12,2026-03-03T05:00:02Z,0,0,...,0,2,3\r\n"
)


class ReportRequest(RequestModel):
    """Which local date to build."""

    data: CalendarDate | None = Field(
        default=None,
        description="Local date (YYYY-MM-DD). Default: yesterday. Today is accepted (the day so "
        "far; the nightly build replaces it); a later date is refused.",
        examples=["2026-03-02"],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"data": "2026-03-02"}, {}]})


class QueuedReport(ResponseModel):
    """The build, queued."""

    job_id: str = Field(
        description="Id (UUID) of the build job.", examples=["1b4e28ba-2fa1-41d2-883f-0016d3cca427"]
    )
    data: date = Field(description="The local date that will be built.", examples=["2026-03-02"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"job_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "data": "2026-03-02"}]
        }
    )


class HourCount(ResponseModel):
    """Entries in one local hour."""

    hora: int = Field(ge=0, le=23, description="Local hour, 0 to 23.", examples=[7])
    visitas: int = Field(description="Entries in that hour.", examples=[12])

    model_config = ConfigDict(json_schema_extra={"examples": [{"hora": 7, "visitas": 12}]})


class PlanCount(ResponseModel):
    """Entries by the members of one plan."""

    plano: str = Field(description="Plan code.", examples=["mensal"])
    visitas: int = Field(description="Entries by members of that plan.", examples=[30])

    model_config = ConfigDict(json_schema_extra={"examples": [{"plano": "mensal", "visitas": 30}]})


class DailyReport(ResponseModel):
    """The attendance of one local day of the gym."""

    data: date = Field(description="Local date.", examples=["2026-03-02"])
    visitas: int = Field(description="Entries that day (each check-in is one).", examples=[5])
    alunos_unicos: int = Field(description="Distinct members who came.", examples=[4])
    visitas_por_hora: list[HourCount] = Field(
        description="Entries by local hour of entry, all 24 hours, 0 to 23."
    )
    visitas_por_plano: list[PlanCount] = Field(
        description="Entries by the member's plan, most visited first; plans without entries "
        "are left out."
    )
    media_duracao_minutos: float | None = Field(
        description="Mean whole minutes of that day's visits with a recorded exit; null if none.",
        examples=[67.5],
    )
    novos_alunos: int = Field(description="Members enrolled that day.", examples=[1])
    cancelamentos: int = Field(description="Memberships cancelled that day.", examples=[0])
    alunos_risco_alto: int | None = Field(
        description="Active members in churn's high-risk band (`alto`) when the report was "
        "built; null when churn could not say (unreachable, or no model trained yet). An empty "
        "cell in CSV.",
        examples=[12],
    )
    gerado_em: datetime = Field(
        description="When the report was built.", examples=["2026-03-03T05:00:02Z"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [REPORT_EXAMPLE]})


class DailyReportList(ResponseModel):
    """The reports already built in a range of dates."""

    relatorios: list[DailyReport] = Field(description="Newest first; dates not built are absent.")

    model_config = ConfigDict(json_schema_extra={"examples": [{"relatorios": [REPORT_EXAMPLE]}]})
