"""The churn model: the serving version and its metrics, every registered version, promotion,
rollback, and retraining requests with their jobs."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from frequenta.churn.v1 import churn_pb2
from frequenta_gateway import mappers
from frequenta_gateway.auth.policies import ADMIN, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import ChurnDep, DeadlineDep
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.model import (
    ModelVersion,
    ModelVersions,
    PromotionRequest,
    RetrainingJob,
    RetrainingRequest,
)

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["modelo"], route_class=PolicyFirstRoute, dependencies=[WRITES])

JobIdPath = Annotated[str, Path(description="Job id (UUID).", max_length=64)]
VersionPath = Annotated[
    str,
    Path(
        description="Version label, as listed by GET /modelo/versoes.",
        max_length=100,
        examples=["2026-06-01T09-00-00Z-hgb"],
    ),
]


@router.get(
    "/modelo",
    response_model=ModelVersion,
    summary="The serving churn model and its metrics",
    response_description="The version serving the risk scores now.",
    responses=error_responses(),
    dependencies=[allow(*STAFF)],
)
async def get_model(churn: ChurnDep, deadline: DeadlineDep) -> ModelVersion:
    """The serving version: its hold-out metrics (and every candidate's on the same hold-out),
    training window, data counts, risk-band thresholds and why it serves. 503 `NO_MODEL` with
    `Retry-After` while no model has been trained yet."""
    reply = await churn.GetModelInfo(churn_pb2.GetModelInfoRequest(), timeout=deadline)
    return mappers.model_version_out(reply.model)


@router.get(
    "/modelo/versoes",
    response_model=ModelVersions,
    summary="Every registered model version",
    response_description="Newest first; the serving one has `em_producao` true.",
    responses=error_responses(),
    dependencies=[allow(*STAFF)],
)
async def list_model_versions(churn: ChurnDep, deadline: DeadlineDep) -> ModelVersions:
    """Every version the registry keeps (empty before the first training), newest first."""
    reply = await churn.ListModelVersions(churn_pb2.ListModelVersionsRequest(), timeout=deadline)
    return ModelVersions(versoes=[mappers.model_version_out(v) for v in reply.versions])


@router.post(
    "/modelo/versoes/{versao}/promover",
    response_model=ModelVersion,
    summary="Serve a registered model version",
    response_description="The version now serving.",
    responses=error_responses(404, 409, 422),
    dependencies=[allow(ADMIN)],
)
async def promote_model(
    versao: VersionPath,
    churn: ChurnDep,
    deadline: DeadlineDep,
    body: PromotionRequest | None = None,
) -> ModelVersion:
    """The version serves from now on if it beats the serving one on the same hold-out: both
    score the version's hold-out rows and the higher PR-AUC wins (a tie keeps the serving one).
    409 `NOT_BETTER` otherwise (the message gives both figures), or `NOT_COMPARABLE` when the
    two read different features; `forcar: true` promotes anyway (e.g. back to any kept
    version). 404 `MODEL_VERSION_NOT_FOUND` for an unknown version. Promoting the serving
    version changes nothing."""
    options = body or PromotionRequest()
    reply = await churn.PromoteModel(
        churn_pb2.PromoteModelRequest(version=versao, force=options.forcar), timeout=deadline
    )
    return mappers.model_version_out(reply.model)


@router.post(
    "/modelo/rollback",
    response_model=ModelVersion,
    summary="Go back to the previously served model version",
    response_description="The version now serving.",
    responses=error_responses(409),
    dependencies=[allow(ADMIN)],
)
async def rollback_model(churn: ChurnDep, deadline: DeadlineDep) -> ModelVersion:
    """Serves again the version served before the current one; a second rollback goes one
    more promotion back. 409 `NO_PREVIOUS_VERSION` when there is none."""
    reply = await churn.RollbackModel(churn_pb2.RollbackModelRequest(), timeout=deadline)
    return mappers.model_version_out(reply.model)


@router.post(
    "/modelo/retreino",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RetrainingJob,
    summary="Request a retraining of the churn model",
    response_description="The queued job; follow its Location.",
    responses=error_responses(422),
    dependencies=[allow(ADMIN)],
)
async def request_retraining(
    response: Response,
    churn: ChurnDep,
    deadline: DeadlineDep,
    body: RetrainingRequest | None = None,
) -> RetrainingJob:
    """Queues a retraining job and answers 202 at once with it (the job is on the broker by then,
    so it is not lost). 503 `BROKER_UNAVAILABLE` if the broker cannot take it: try again."""
    options = body or RetrainingRequest()
    reply = await churn.RequestRetraining(
        churn_pb2.RequestRetrainingRequest(promote_if_better=options.promover_se_melhor),
        timeout=deadline,
    )
    response.headers["Location"] = f"/modelo/retreino/{reply.job.job_id}"
    return mappers.retraining_job_out(reply.job)


@router.get(
    "/modelo/retreino/{job_id}",
    response_model=RetrainingJob,
    summary="Status of a retraining job",
    response_description="The job and its outcome.",
    responses=error_responses(404, 422),
    dependencies=[allow(ADMIN)],
)
async def get_retraining_job(
    job_id: JobIdPath, churn: ChurnDep, deadline: DeadlineDep
) -> RetrainingJob:
    """404 `JOB_NOT_FOUND` for an unknown id; 422 `VALIDATION_ERROR` for one that is not a UUID."""
    reply = await churn.GetRetrainingJob(
        churn_pb2.GetRetrainingJobRequest(job_id=job_id), timeout=deadline
    )
    return mappers.retraining_job_out(reply.job)
