"""Visits: check-in and check-out."""

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from frequenta_gateway import mappers
from frequenta_gateway.auth.policies import CATRACA, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.errors import ApiError
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.visits import CheckIn, CheckOut, Visit

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["checkins"], route_class=PolicyFirstRoute, dependencies=[WRITES])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Same as `chave_idempotencia` in the body (give one or both, equal).",
    ),
]


JSON = "application/json"
REPLAYED = {"Idempotent-Replayed": "true"}


def _idempotency_key(body: CheckIn, header: str | None) -> str | None:
    if body.chave_idempotencia and header and body.chave_idempotencia != header:
        raise ApiError.invalid(
            "chave_idempotencia", "Differs from the Idempotency-Key header; send one key."
        )
    return body.chave_idempotencia or header


@router.post(
    "/aluno/checkin",
    status_code=status.HTTP_201_CREATED,
    response_model=Visit,
    summary="Record an entry",
    response_description="The visit stored.",
    responses={
        200: {
            "model": Visit,
            "description": "Replay of an earlier identical request with the same idempotency key "
            "(header `Idempotent-Replayed: true`); nothing new stored.",
        },
        **error_responses(404, 409, 413, 422),
    },
    dependencies=[allow(*STAFF, CATRACA)],
)
async def check_in(
    body: CheckIn,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    """Records an entry (201); with `data_saida`, a finished visit (imports). 404
    `MEMBER_NOT_FOUND`; 409 `VISIT_ALREADY_OPEN`, `VISIT_OVERLAPS`, `MEMBERSHIP_CANCELLED`,
    `BEFORE_ENROLLMENT`; 422 `EXIT_BEFORE_ENTRY`, `VISIT_TOO_LONG`, `TIMESTAMP_IN_FUTURE`,
    `TIMESTAMP_WITHOUT_TIMEZONE`.

    Idempotency key (`Idempotency-Key` header or `chave_idempotencia`): the same key with the same
    member and entry replays the stored visit (200, `Idempotent-Replayed: true`); with other data,
    422 `IDEMPOTENCY_KEY_REUSED`; while the first request with the key is still being recorded,
    409 `IDEMPOTENCY_KEY_IN_FLIGHT` at once (retry, and get the replay)."""
    request = mappers.checkin_request(body, _idempotency_key(body, idempotency_key))
    reply = await attendance.RecordCheckIn(request, timeout=deadline)
    # The visit, already a validated `Visit`, serialised once here: returned as a model, FastAPI
    # would validate and serialise it again through the response model (`response_model` still
    # documents it), a visible part of the gateway's CPU per check-in (docs/http-load.md).
    visit = mappers.visit_out(reply.visit).model_dump_json()
    if reply.replayed:
        return Response(visit, status.HTTP_200_OK, REPLAYED, media_type=JSON)
    return Response(visit, status.HTTP_201_CREATED, media_type=JSON)


@router.post(
    "/aluno/checkout",
    response_model=Visit,
    summary="Record an exit",
    response_description="The visit, now closed, with its duration.",
    responses=error_responses(404, 409, 413, 422),
    dependencies=[allow(*STAFF, CATRACA)],
)
async def check_out(body: CheckOut, attendance: AttendanceDep, deadline: DeadlineDep) -> Visit:
    """Closes the member's open visit (200 with the visit and its duration). 409 `NO_OPEN_VISIT`;
    422 `EXIT_BEFORE_ENTRY`."""
    reply = await attendance.RecordCheckOut(mappers.checkout_request(body), timeout=deadline)
    return mappers.visit_out(reply.visit)
