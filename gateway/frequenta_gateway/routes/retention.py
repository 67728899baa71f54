"""Retention work (docs/retention.md): a member's risk over time, the contact log, and the
effect of the contacts measured against the control group."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from frequenta.attendance.v1 import attendance_pb2
from frequenta.churn.v1 import churn_pb2
from frequenta_gateway import contact_mappers as mappers
from frequenta_gateway.auth.policies import OWN_MEMBER, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.auth.principal import Principal
from frequenta_gateway.clients import AttendanceDep, ChurnDep, DeadlineDep
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.retention import (
    Contact,
    ContactIn,
    ContactList,
    RetentionEffect,
    RiskHistory,
)

router = APIRouter(tags=["retencao"], route_class=PolicyFirstRoute, dependencies=[WRITES])


async def caller(request: Request) -> Principal:
    """The authenticated caller (the route's policy has checked them already)."""
    return request.state.principal


CallerDep = Annotated[Principal, Depends(caller)]


async def known_member(attendance: AttendanceDep, member_id: int, deadline: float) -> None:
    """404 MEMBER_NOT_FOUND when attendance, which owns members, does not know the id."""
    await attendance.GetMember(
        attendance_pb2.GetMemberRequest(member_id=member_id), timeout=deadline
    )


@router.get(
    "/aluno/{id:int}/risco-historico",
    response_model=RiskHistory,
    summary="A member's risk over time",
    response_description="One score per local day, oldest first.",
    responses=error_responses(404, 422),
    dependencies=[allow(*STAFF, OWN_MEMBER)],
)
async def get_risk_history(
    id: MemberIdPath,
    attendance: AttendanceDep,
    churn: ChurnDep,
    deadline: DeadlineDep,
    dias: Annotated[
        int, Query(ge=1, le=3660, description="Local days back, today included.")
    ] = 365,
) -> RiskHistory:
    """The member's daily score (probability, band, model version) from the first snapshot of
    the at-risk list each local day, oldest first; days the member was not active or not
    scored are absent. 404 `MEMBER_NOT_FOUND` for an unknown member."""
    await known_member(attendance, id, deadline)
    reply = await churn.GetRiskHistory(
        churn_pb2.GetRiskHistoryRequest(member_id=id, days=dias), timeout=deadline
    )
    return mappers.risk_history_out(reply)


@router.post(
    "/aluno/{id:int}/contatos",
    status_code=status.HTTP_201_CREATED,
    response_model=Contact,
    summary="Record a contact with a member",
    response_description="The contact as recorded.",
    responses=error_responses(404, 409, 413, 422),
    dependencies=[allow(*STAFF)],
)
async def record_contact(
    id: MemberIdPath,
    body: ContactIn,
    response: Response,
    principal: CallerDep,
    attendance: AttendanceDep,
    churn: ChurnDep,
    deadline: DeadlineDep,
) -> Contact:
    """Adds a contact to the member's log, authored by the caller's login (201, `Location`).
    The at-risk list shows the new contact status at once.

    - 404 `MEMBER_NOT_FOUND`: unknown member.
    - 409 `CONTROL_GROUP`: the member is in the control group, left uncontacted on purpose to
      measure whether contacts help; send `fora_do_protocolo: true` to record it anyway."""
    await known_member(attendance, id, deadline)
    reply = await churn.RecordContact(
        mappers.record_contact_request(id, body, principal.login), timeout=deadline
    )
    response.headers["Location"] = f"/aluno/{id}/contatos"
    return mappers.contact_out(reply.contact)


@router.get(
    "/aluno/{id:int}/contatos",
    response_model=ContactList,
    summary="A member's contact log",
    response_description="The contacts, newest first.",
    responses=error_responses(404, 422),
    dependencies=[allow(*STAFF)],
)
async def list_contacts(
    id: MemberIdPath, attendance: AttendanceDep, churn: ChurnDep, deadline: DeadlineDep
) -> ContactList:
    """Every contact recorded with the member, newest first. 404 `MEMBER_NOT_FOUND`."""
    await known_member(attendance, id, deadline)
    reply = await churn.ListContacts(churn_pb2.ListContactsRequest(member_id=id), timeout=deadline)
    return mappers.contact_list_out(reply)


@router.get(
    "/retencao/efeito",
    response_model=RetentionEffect,
    summary="Whether contacting members at risk lowers cancellations",
    response_description="Cancellation rates of the contact and control groups, and their "
    "difference with a 95 % interval.",
    responses=error_responses(),
    dependencies=[allow(*STAFF)],
)
async def get_retention_effect(churn: ChurnDep, deadline: DeadlineDep) -> RetentionEffect:
    """The members at high risk are drawn once into `contato` (called) or `controle` (left
    uncontacted; FREQUENTA_RETENTION_CONTROL_SHARE). Among those whose follow-up window (the
    model's horizon after the draw) has ended: each group's cancellation rate with its 95 %
    Wilson interval, the difference (contato - controle) with Newcombe's hybrid score interval,
    how many of `contato` were reached, and a sentence in Portuguese ("Ainda sem dados
    suficientes" below 30 members in a group)."""
    reply = await churn.GetRetentionEffect(churn_pb2.GetRetentionEffectRequest(), timeout=deadline)
    return mappers.effect_out(reply)
