"""Liveness and readiness."""

from typing import Literal

from pydantic import ConfigDict, Field

from frequenta_gateway.schemas.common import ResponseModel


class Liveness(ResponseModel):
    """The process is up."""

    status: Literal["ok"] = Field(description="Always `ok`.", examples=["ok"])

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})


class Readiness(ResponseModel):
    """Every service behind the gateway reports SERVING."""

    status: Literal["pronto"] = Field(description="Always `pronto` on 200.", examples=["pronto"])
    servicos: dict[str, str] = Field(
        description="gRPC health status of each service.",
        examples=[{"attendance": "SERVING", "churn": "SERVING"}],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "pronto", "servicos": {"attendance": "SERVING", "churn": "SERVING"}}
            ]
        }
    )
