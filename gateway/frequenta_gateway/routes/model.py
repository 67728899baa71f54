"""The churn model: retraining requests (more of the model's lifecycle lands with churn)."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from frequenta.churn.v1 import churn_pb2
from frequenta_gateway import mappers
from frequenta_gateway.clients import ChurnDep, DeadlineDep
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.model import RetrainingJob, RetrainingRequest

router = APIRouter(tags=["modelo"])

JobIdPath = Annotated[str, Path(description="Job id (UUID).", max_length=64)]


@router.post(
    "/modelo/retreino",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=RetrainingJob,
    summary="Request a retraining of the churn model",
    response_description="The queued job; follow its Location.",
    responses=error_responses(422),
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
)
async def get_retraining_job(
    job_id: JobIdPath, churn: ChurnDep, deadline: DeadlineDep
) -> RetrainingJob:
    """404 `JOB_NOT_FOUND` for an unknown id; 422 `VALIDATION_ERROR` for one that is not a UUID."""
    reply = await churn.GetRetrainingJob(
        churn_pb2.GetRetrainingJobRequest(job_id=job_id), timeout=deadline
    )
    return mappers.retraining_job_out(reply.job)
