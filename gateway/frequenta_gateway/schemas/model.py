"""The churn model's lifecycle seen from REST: retraining requests and their jobs."""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import RequestModel, ResponseModel

RetrainingState = Literal["na_fila", "executando", "concluido", "falhou"]

JOB_EXAMPLE = {
    "job_id": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
    "estado": "na_fila",
    "solicitado_em": "2026-11-25T09:00:00Z",
    "iniciado_em": None,
    "concluido_em": None,
    "versao_modelo": None,
    "promovido": False,
    "erro": None,
}


class RetrainingRequest(RequestModel):
    """Options of a retraining run."""

    promover_se_melhor: bool = Field(
        default=True,
        strict=True,
        description="Serve the new version at once if it beats the current one on the same "
        "hold-out.",
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"promover_se_melhor": True}]})


class RetrainingJob(ResponseModel):
    """A retraining job and its outcome."""

    job_id: str = Field(description="Job id (UUID).")
    estado: RetrainingState = Field(description="Where the job is.")
    solicitado_em: datetime = Field(description="When it was requested.")
    iniciado_em: datetime | None = Field(description="When training started.")
    concluido_em: datetime | None = Field(description="When it finished.")
    versao_modelo: str | None = Field(description="Version registered by the job.")
    promovido: bool = Field(description="Whether that version now serves.")
    erro: str | None = Field(description="Why it failed.")

    model_config = ConfigDict(json_schema_extra={"examples": [JOB_EXAMPLE]})
