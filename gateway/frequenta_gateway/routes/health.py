"""Liveness and readiness probes."""

import asyncio

import grpc
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2

from frequenta_gateway.auth.policies import PolicyFirstRoute, public
from frequenta_gateway.clients import DeadlineDep, HealthDep, HealthTarget
from frequenta_gateway.errors import error_response
from frequenta_gateway.schemas.errors import ErrorDetail, ErrorResponse
from frequenta_gateway.schemas.health import Liveness, Readiness

router = APIRouter(tags=["saude"], route_class=PolicyFirstRoute)

SERVING = health_pb2.HealthCheckResponse.ServingStatus.Name(health_pb2.HealthCheckResponse.SERVING)


@router.get(
    "/healthz",
    response_model=Liveness,
    summary="Liveness",
    dependencies=[public()],
)
async def healthz() -> Liveness:
    """200 while the process runs; asks nothing of the services."""
    return Liveness(status="ok")


async def _status(target: HealthTarget, deadline: float) -> str:
    request = health_pb2.HealthCheckRequest(service=target.service)
    try:
        reply = await target.stub.Check(request, timeout=deadline)
    except grpc.aio.AioRpcError as error:
        return error.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    responses={
        503: {
            "model": ErrorResponse,
            "description": "A service is not SERVING (NOT_READY).",
            "content": {
                "application/json": {
                    "example": {
                        "erro": {
                            "codigo": "NOT_READY",
                            "mensagem": "Not ready: churn is UNAVAILABLE.",
                            "detalhes": [{"campo": "churn", "mensagem": "UNAVAILABLE"}],
                        }
                    }
                }
            },
        },
    },
    dependencies=[public()],
)
async def readyz(targets: HealthDep, deadline: DeadlineDep) -> Readiness | JSONResponse:
    """200 when the gRPC health service of attendance and of churn both answer SERVING;
    otherwise 503 naming the ones that did not."""
    names = list(targets)
    statuses = await asyncio.gather(*(_status(targets[name], deadline) for name in names))
    by_name = dict(zip(names, statuses, strict=True))
    failed = {name: value for name, value in by_name.items() if value != SERVING}
    if not failed:
        return Readiness(status="pronto", servicos=by_name)
    summary = ", ".join(f"{name} is {value}" for name, value in failed.items())
    details = [ErrorDetail(campo=name, mensagem=value) for name, value in failed.items()]
    return error_response(503, "NOT_READY", f"Not ready: {summary}.", details, retry_after=5)
