"""Bulk check-in imports: upload a batch (JSON or CSV), answered 202 with the job; poll it."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway import batch_input, mappers
from frequenta_gateway.auth.policies import CATRACA, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep, SettingsDep
from frequenta_gateway.errors import ApiError
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.schemas.batches import (
    BATCH_EXAMPLE,
    CSV_EXAMPLE,
    BatchJob,
    BatchSubmission,
)
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.visits import Source

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["importacoes"], route_class=PolicyFirstRoute, dependencies=[WRITES])

PATH = "/aluno/checkins/lote"

JobIdPath = Annotated[str, Path(description="Job id (UUID).", max_length=64)]
SourceQuery = Annotated[
    Source | None,
    Query(description="Source stored on every row (for CSV; JSON may say `origem` instead)."),
]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` references replaced by the definitions themselves."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref", "")
            if reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    return resolve(schema)


REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "description": "The rows, as JSON or as CSV with a header row (same columns).",
        "content": {
            "application/json": {
                "schema": _inline(BatchSubmission.model_json_schema()),
                "example": BATCH_EXAMPLE,
            },
            "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
        },
    }
}


@router.post(
    PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=BatchJob,
    summary="Import a batch of check-ins",
    response_description="The queued import job; follow its Location.",
    responses=error_responses(413, 415, 422),
    openapi_extra=REQUEST_BODY,
    dependencies=[allow(*STAFF, CATRACA)],
)
async def submit_batch(
    request: Request,
    response: Response,
    attendance: AttendanceDep,
    settings: SettingsDep,
    origem: SourceQuery = None,
) -> BatchJob:
    """Accepts up to 100,000 rows as JSON (`{"checkins": [...], "origem"?}`) or CSV (header
    `aluno_id,data_entrada,data_saida,dispositivo_id,chave_idempotencia`; only the first two are
    required) and answers 202 at once with the job: the rows are then processed in chunks by
    workers. Rows are deduplicated on `chave_idempotencia`, or on member + entry instant without
    one, so sending a batch again creates no duplicates. Rows the rules refuse (unknown member,
    overlaps, future instants...) are counted and listed in the job, with their `linha` (1-based,
    CSV header not counted). An upload with unreadable rows (not an id, not an ISO-8601 instant
    with offset...) is refused whole: 422 listing the first of them. 413 `PAYLOAD_TOO_LARGE` /
    `TOO_MANY_ROWS` beyond the limits; 415 for another content type."""
    media = batch_input.media_type(request)
    body = await batch_input.read_body(request, settings.bulk_max_body_bytes)
    # Reading 100,000 rows and building the request is CPU work of a few tenths of a second:
    # in a worker thread, so the event loop keeps serving the other requests meanwhile.
    rows, source = await run_in_threadpool(batch_input.parse, body, media, source=origem)
    if not rows:
        raise ApiError.invalid("checkins", "The batch has no rows.")
    if len(rows) > settings.bulk_max_rows:
        raise batch_input.too_large(
            "TOO_MANY_ROWS",
            f"The batch has {len(rows)} rows; at most {settings.bulk_max_rows} per upload.",
        )
    submission = await run_in_threadpool(batch_input.request_for, rows, source)
    reply = await attendance.SubmitCheckInBatch(submission, timeout=settings.bulk_deadline_seconds)
    response.headers["Location"] = f"{PATH}/{reply.job.job_id}"
    return mappers.batch_job_out(reply.job)


@router.get(
    PATH + "/{job_id}",
    response_model=BatchJob,
    summary="Status of a check-in import",
    response_description="The job: state, counts, progress and the first rejected rows.",
    responses=error_responses(404, 422),
    dependencies=[allow(*STAFF, CATRACA)],
)
async def get_batch(
    job_id: JobIdPath, attendance: AttendanceDep, deadline: DeadlineDep
) -> BatchJob:
    """404 `JOB_NOT_FOUND` for an unknown id; 422 `VALIDATION_ERROR` for one that is not a UUID."""
    reply = await attendance.GetCheckInBatch(
        pb.GetCheckInBatchRequest(job_id=job_id), timeout=deadline
    )
    return mappers.batch_job_out(reply.job)
