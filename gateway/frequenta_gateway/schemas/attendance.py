"""A member's attendance (`frequencia`): summary, weekly series and the visits of a range."""

from datetime import date, datetime

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import Pagination, Period, ResponseModel
from frequenta_gateway.schemas.visits import Source

ATTENDED_VISIT_EXAMPLE = {
    "id": 1001,
    "data_entrada": "2025-03-10T10:15:00Z",
    "data_saida": "2025-03-10T11:32:00Z",
    "duracao_minutos": 77,
    "origem": "catraca",
    "dispositivo_id": "catraca-01",
}


class WeekCount(ResponseModel):
    """Visits in one local week (Monday to Sunday)."""

    semana_inicio: date = Field(
        description="The Monday starting the week.", examples=["2025-03-10"]
    )
    checkins: int = Field(description="Visits whose entry falls in that week.", examples=[3])

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"semana_inicio": "2025-03-10", "checkins": 3}]}
    )


class AttendedVisit(ResponseModel):
    """One visit in the history."""

    id: int = Field(description="Visit id.", examples=[1001])
    data_entrada: datetime = Field(description="Entry instant.", examples=["2025-03-10T10:15:00Z"])
    data_saida: datetime | None = Field(
        description="Exit instant, if recorded.", examples=["2025-03-10T11:32:00Z"]
    )
    duracao_minutos: int | None = Field(
        description="Whole minutes; null without an exit.", examples=[77]
    )
    origem: Source | None = Field(description="Where the entry came from.", examples=["catraca"])
    dispositivo_id: str | None = Field(description="Device or desk id.", examples=["catraca-01"])

    model_config = ConfigDict(json_schema_extra={"examples": [ATTENDED_VISIT_EXAMPLE]})


class Attendance(ResponseModel):
    """Attendance summary as of now, plus the visits and weekly series of the requested range."""

    aluno_id: int = Field(description="The member.", examples=[42])
    total_checkins: int = Field(description="All visits ever recorded.", examples=[37])
    media_checkins_semana: float = Field(
        description="Visits in the last 28 days divided by 4.", examples=[2.5]
    )
    dias_desde_ultimo_checkin: int | None = Field(
        description="Local days since the last visit; null if none.", examples=[2]
    )
    media_duracao_minutos: float | None = Field(
        description="Mean duration of the visits with an exit; null if none.", examples=[71.4]
    )
    ultimo_checkin: datetime | None = Field(
        description="Entry instant of the latest visit; null if none.",
        examples=["2025-03-10T10:15:00Z"],
    )
    serie_semanal: list[WeekCount] = Field(
        description="Visits per local week over the range, oldest first, empty weeks included."
    )
    checkins: list[AttendedVisit] = Field(
        description="This page of the range's visits, newest first."
    )
    periodo: Period = Field(description="The range of local dates actually used.")
    paginacao: Pagination = Field(description="Page of `checkins` and visits in the range.")
    calculado_em: datetime = Field(
        description="When the figures were computed.", examples=["2025-03-12T15:00:00Z"]
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "aluno_id": 42,
                    "total_checkins": 37,
                    "media_checkins_semana": 2.5,
                    "dias_desde_ultimo_checkin": 2,
                    "media_duracao_minutos": 71.4,
                    "ultimo_checkin": "2025-03-10T10:15:00Z",
                    "serie_semanal": [
                        {"semana_inicio": "2025-03-03", "checkins": 2},
                        {"semana_inicio": "2025-03-10", "checkins": 1},
                    ],
                    "checkins": [ATTENDED_VISIT_EXAMPLE],
                    "periodo": {"data_inicio": "2025-03-03", "data_fim": "2025-03-12"},
                    "paginacao": {"pagina": 1, "tamanho": 50, "total": 3},
                    "calculado_em": "2025-03-12T15:00:00Z",
                }
            ]
        }
    )
