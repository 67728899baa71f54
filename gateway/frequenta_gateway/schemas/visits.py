"""Visits (`checkins`): check-in and check-out."""

from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import Instant, RequestModel, ResponseModel, StrictId


class Source(StrEnum):
    """Where a check-in came from."""

    FRONT_DESK = "recepcao"
    TURNSTILE = "catraca"
    IMPORT = "importacao"
    APP = "app"


VISIT_EXAMPLE = {
    "id": 1001,
    "aluno_id": 42,
    "data_entrada": "2025-03-10T10:15:00Z",
    "data_saida": "2025-03-10T11:32:00Z",
    "duracao_minutos": 77,
    "origem": "catraca",
    "dispositivo_id": "catraca-01",
}


class CheckIn(RequestModel):
    """An entry; with `data_saida` too for imports of finished visits."""

    aluno_id: StrictId = Field(description="The member entering.", examples=[42])
    data_entrada: Instant | None = Field(
        default=None,
        description="Entry instant with offset; defaults to now. May be in the past, not in the "
        "future.",
        examples=["2025-03-10T07:15:00-03:00"],
    )
    data_saida: Instant | None = Field(
        default=None,
        description="Exit instant (imports): after the entry, not in the future, visit at most "
        "the maximum length (6 h by default).",
        examples=["2025-03-10T08:32:00-03:00"],
    )
    origem: Source | None = Field(
        default=None,
        description="Where the entry comes from; defaults to `recepcao`.",
        examples=["catraca"],
    )
    dispositivo_id: str | None = Field(
        default=None, max_length=100, description="Device or desk id.", examples=["catraca-01"]
    )
    chave_idempotencia: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Client key that makes retries safe (or the `Idempotency-Key` header).",
        examples=["catraca-01:2025-03-10T07:15:00-03:00:42"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "aluno_id": 42,
                    "data_entrada": "2025-03-10T07:15:00-03:00",
                    "origem": "catraca",
                    "dispositivo_id": "catraca-01",
                    "chave_idempotencia": "catraca-01-000123",
                }
            ]
        }
    )


class CheckOut(RequestModel):
    """An exit: closes the member's open visit."""

    aluno_id: StrictId = Field(description="The member leaving.", examples=[42])
    data_saida: Instant | None = Field(
        default=None,
        description="Exit instant with offset; defaults to now. After the open visit's entry, "
        "not in the future.",
        examples=["2025-03-10T08:32:00-03:00"],
    )
    dispositivo_id: str | None = Field(
        default=None, max_length=100, description="Device or desk id.", examples=["catraca-01"]
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"aluno_id": 42, "dispositivo_id": "catraca-01"}]}
    )


class Visit(ResponseModel):
    """One visit: an entry and, once known, its exit."""

    id: int = Field(description="Visit id.", examples=[1001])
    aluno_id: int = Field(description="The member.", examples=[42])
    data_entrada: datetime = Field(description="Entry instant.", examples=["2025-03-10T10:15:00Z"])
    data_saida: datetime | None = Field(
        description="Exit instant; null while open or when never recorded.",
        examples=["2025-03-10T11:32:00Z"],
    )
    duracao_minutos: int | None = Field(
        description="Whole minutes between entry and exit; null without an exit.", examples=[77]
    )
    origem: Source | None = Field(description="Where the entry came from.", examples=["catraca"])
    dispositivo_id: str | None = Field(description="Device or desk id.", examples=["catraca-01"])

    model_config = ConfigDict(json_schema_extra={"examples": [VISIT_EXAMPLE]})
