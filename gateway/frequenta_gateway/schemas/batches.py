"""Bulk check-in imports (`/aluno/checkins/lote`): the batch (JSON; CSV has the same columns)
and the import job."""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import Instant, RequestModel, ResponseModel, StrictId
from frequenta_gateway.schemas.visits import Source

JobState = Literal["na_fila", "executando", "concluido", "falhou"]

CSV_HEADER = ("aluno_id", "data_entrada", "data_saida", "dispositivo_id", "chave_idempotencia")

CSV_EXAMPLE = (
    "aluno_id,data_entrada,data_saida,dispositivo_id,chave_idempotencia\n"
    "42,2025-03-10T07:15:00-03:00,2025-03-10T08:32:00-03:00,catraca-01,catraca-01-000123\n"
    "43,2025-03-10T07:20:00-03:00,,catraca-01,\n"
)

BATCH_EXAMPLE = {
    "origem": "catraca",
    "checkins": [
        {
            "aluno_id": 42,
            "data_entrada": "2025-03-10T07:15:00-03:00",
            "data_saida": "2025-03-10T08:32:00-03:00",
            "dispositivo_id": "catraca-01",
            "chave_idempotencia": "catraca-01-000123",
        },
        {"aluno_id": 43, "data_entrada": "2025-03-10T07:20:00-03:00"},
    ],
}

JOB_EXAMPLE = {
    "job_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    "estado": "executando",
    "total_linhas": 3000,
    "processadas": 2000,
    "aceitas": 1985,
    "duplicadas": 12,
    "rejeitadas": 3,
    "progresso": 0.6667,
    "linhas_rejeitadas": [
        {"linha": 17, "codigo": "MEMBER_NOT_FOUND", "mensagem": "no member with id 4242"},
        {
            "linha": 230,
            "codigo": "VISIT_OVERLAPS",
            "mensagem": "the visit overlaps row 229 of this batch "
            "(2025-03-10T10:15:00+00:00 to 2025-03-10T11:32:00+00:00)",
        },
    ],
    "enviado_em": "2025-03-11T09:00:00Z",
    "iniciado_em": "2025-03-11T09:00:01Z",
    "concluido_em": None,
    "erro": None,
}


class BatchRow(RequestModel):
    """One visit to import: an entry and, when known, its exit."""

    aluno_id: StrictId = Field(description="The member.", examples=[42])
    data_entrada: Instant = Field(
        description="Entry instant with offset (required). May be in the past, not in the future.",
        examples=["2025-03-10T07:15:00-03:00"],
    )
    data_saida: Instant | None = Field(
        default=None,
        description="Exit instant, if known: after the entry, visit at most the maximum length.",
        examples=["2025-03-10T08:32:00-03:00"],
    )
    dispositivo_id: str | None = Field(
        default=None, max_length=100, description="Device or desk id.", examples=["catraca-01"]
    )
    chave_idempotencia: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Row key for deduplication; without it, member + entry instant deduplicate.",
        examples=["catraca-01-000123"],
    )


class BatchSubmission(RequestModel):
    """A batch of check-ins to import (JSON form)."""

    checkins: list[BatchRow] = Field(
        description="The rows, 1 to 100,000; row `linha` N is `checkins[N-1]`."
    )
    origem: Source | None = Field(
        default=None,
        description="Source stored on every row; defaults to `importacao`.",
        examples=["catraca"],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [BATCH_EXAMPLE]})


class RejectedRow(ResponseModel):
    """A row the import refused."""

    linha: int = Field(description="1-based row number in the batch.", examples=[17])
    codigo: str = Field(description="Machine code of the reason.", examples=["MEMBER_NOT_FOUND"])
    mensagem: str = Field(description="What is wrong.", examples=["no member with id 4242"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"linha": 17, "codigo": "MEMBER_NOT_FOUND", "mensagem": "no member with id 4242"}
            ]
        }
    )


class BatchJob(ResponseModel):
    """An import job: where it stands and what became of the rows so far."""

    job_id: str = Field(description="Job id (UUID).")
    estado: JobState = Field(
        description="`na_fila` (queued), `executando` (being processed), `concluido` (every row "
        "examined), `falhou` (see `erro`)."
    )
    total_linhas: int = Field(description="Rows in the batch.")
    processadas: int = Field(description="Rows examined so far.")
    aceitas: int = Field(description="Rows stored.")
    duplicadas: int = Field(description="Rows already stored (same key, or same member and entry).")
    rejeitadas: int = Field(description="Rows refused.")
    progresso: float = Field(description="`processadas / total_linhas`, 0 to 1.")
    linhas_rejeitadas: list[RejectedRow] = Field(
        description="The first rejected rows by row number (at most 100), with their reasons."
    )
    enviado_em: datetime = Field(description="When the batch was accepted.")
    iniciado_em: datetime | None = Field(description="When processing started.")
    concluido_em: datetime | None = Field(description="When processing finished.")
    erro: str | None = Field(description="Why the job failed, when `estado` is `falhou`.")

    model_config = ConfigDict(json_schema_extra={"examples": [JOB_EXAMPLE]})
