"""Members: registration, lookup, listing, cancellation."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway import mappers
from frequenta_gateway.auth.policies import ADMIN, OWN_MEMBER, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.common import INT32_MAX, INT64_MAX
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.members import (
    Cancellation,
    Member,
    MemberPage,
    MemberRegistration,
    PersonalDataErasure,
    StatusFilter,
)

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["alunos"], route_class=PolicyFirstRoute, dependencies=[WRITES])


@router.post(
    "/aluno/registro",
    status_code=status.HTTP_201_CREATED,
    response_model=Member,
    summary="Register a member on a plan",
    response_description="The member as stored, with their plan.",
    responses=error_responses(404, 409, 413, 422),
    dependencies=[allow(*STAFF)],
)
async def register_member(
    body: MemberRegistration, response: Response, attendance: AttendanceDep, deadline: DeadlineDep
) -> Member:
    """Creates the member (201, `Location: /aluno/{id}`). 409 `EMAIL_ALREADY_REGISTERED` when the
    e-mail (compared case-insensitively) is taken; 404 `PLAN_NOT_FOUND`; 409 `PLAN_INACTIVE`."""
    reply = await attendance.RegisterMember(mappers.register_request(body), timeout=deadline)
    response.headers["Location"] = f"/aluno/{reply.member.id}"
    return mappers.member_out(reply.member)


@router.get(
    "/aluno/{id:int}",
    response_model=Member,
    summary="Look a member up",
    response_description="The member with their plan.",
    responses=error_responses(404, 422),
    dependencies=[allow(*STAFF, OWN_MEMBER)],
)
async def get_member(id: MemberIdPath, attendance: AttendanceDep, deadline: DeadlineDep) -> Member:
    """The member with their plan; 404 `MEMBER_NOT_FOUND`."""
    reply = await attendance.GetMember(pb.GetMemberRequest(member_id=id), timeout=deadline)
    return mappers.member_out(reply.member)


@router.get(
    "/alunos",
    response_model=MemberPage,
    summary="List members",
    response_description="A page of members.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def list_members(
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    plano_id: Annotated[
        int | None, Query(ge=1, le=INT64_MAX, description="Only members of this plan.")
    ] = None,
    status_: Annotated[
        StatusFilter, Query(alias="status", description="Active, cancelled or all members.")
    ] = StatusFilter.ALL,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Case-insensitive part of the name or e-mail."),
    ] = None,
    pagina: Annotated[int, Query(ge=1, le=INT32_MAX, description="1-based page.")] = 1,
    tamanho: Annotated[int, Query(ge=1, le=200, description="Page size, up to 200.")] = 50,
) -> MemberPage:
    """Members, newest enrollment first, filtered by plan, status and a search text."""
    request = mappers.list_members_request(
        plan_id=plano_id, status=status_, query=q, page=pagina, size=tamanho
    )
    reply = await attendance.ListMembers(request, timeout=deadline)
    return mappers.member_page_out(reply, page=pagina, size=tamanho)


@router.post(
    "/aluno/{id:int}/cancelamento",
    response_model=Member,
    summary="Cancel a membership",
    response_description="The member, now cancelled.",
    responses=error_responses(404, 409, 413, 422),
    dependencies=[allow(*STAFF)],
)
async def cancel_membership(
    id: MemberIdPath,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    body: Cancellation | None = None,
) -> Member:
    """Ends the membership with a reason code `codigo_motivo` (`nao_informado` when left out)
    and an optional free-text `motivo` (200 with the member, `ativo: false`); the code goes into
    the member, the "membership cancelled" event and `GET /relatorios/atrito`. 409
    `ALREADY_CANCELLED`; 422 `CANCELLATION_BEFORE_ENROLLMENT` or `TIMESTAMP_IN_FUTURE`."""
    reply = await attendance.CancelMembership(mappers.cancel_request(id, body), timeout=deadline)
    return mappers.member_out(reply.member)


@router.delete(
    "/aluno/{id:int}/dados-pessoais",
    response_model=Member,
    summary="Erase a member's personal data (LGPD)",
    response_description="The member after erasure: placeholders, `dados_removidos_em` set.",
    responses=error_responses(404, 413, 422),
    dependencies=[allow(ADMIN)],  # only an admin may erase personal data
)
async def erase_personal_data(
    id: MemberIdPath,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    body: PersonalDataErasure | None = None,
) -> Member:
    """Erases the member's personal data on their request (200 with the member): `nome` becomes
    "Titular removido #<id>", `email` an undeliverable placeholder (the address may register
    again), `telefone`, `data_nascimento` and `observacao_cancelamento` null. The membership,
    its dates and every visit stay (anonymous attendance, statistics, training); it does not
    cancel. Repeating it answers the same member. Optional body `{"motivo"}`. 404
    `MEMBER_NOT_FOUND`. docs/personal-data.md."""
    reply = await attendance.EraseMemberPersonalData(
        mappers.erase_request(id, body), timeout=deadline
    )
    return mappers.member_out(reply.member)
