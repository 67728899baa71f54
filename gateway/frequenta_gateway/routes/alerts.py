"""Alerts on members' attendance and their thresholds (docs/alerts-and-outcomes.md)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_gateway import retention_mappers as mappers
from frequenta_gateway.auth.policies import OWN_MEMBER, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.alerts import (
    AlertKind,
    AlertPage,
    MemberAlerts,
    Thresholds,
    ThresholdsInput,
)
from frequenta_gateway.schemas.common import INT32_MAX
from frequenta_gateway.schemas.errors import error_responses

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["alertas"], route_class=PolicyFirstRoute, dependencies=[WRITES])


@router.get(
    "/alertas",
    response_model=AlertPage,
    summary="Open alerts",
    response_description="A page of open alerts of active members, most urgent first.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def list_alerts(
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    tipo: Annotated[AlertKind | None, Query(description="Only alerts of this kind.")] = None,
    pagina: Annotated[int, Query(ge=1, le=INT32_MAX, description="1-based page.")] = 1,
    tamanho: Annotated[int, Query(ge=1, le=200, description="Page size, up to 200.")] = 50,
) -> AlertPage:
    """Open alerts of active members: `sem_visita_inicial` first, then `poucas_visitas_inicio`,
    then `inatividade` by stage (highest first); within those, most days without a visit first.
    `total` counts every page. Alerts are computed when read, from the visits: the member's next
    check-in closes them (a backfilled one too, at its own entry instant); days are the gym's
    local days; thresholds at `GET /alertas/limites`."""
    request = rpb.ListAlertsRequest(
        kind=mappers.KIND_TO_PROTO[tipo] if tipo else 0, page=pagina, page_size=tamanho
    )
    reply = await attendance.ListAlerts(request, timeout=deadline)
    return AlertPage(
        itens=[mappers.alert_out(alert) for alert in reply.alerts],
        total=reply.total,
        pagina=pagina,
        tamanho=tamanho,
    )


@router.get(
    "/aluno/{id:int}/alertas",
    response_model=MemberAlerts,
    summary="Open alerts of a member",
    response_description="The member's open alerts, most urgent first.",
    responses=error_responses(404, 422),
    dependencies=[allow(*STAFF, OWN_MEMBER)],
)
async def member_alerts(
    id: MemberIdPath, attendance: AttendanceDep, deadline: DeadlineDep
) -> MemberAlerts:
    """The member's open alerts (empty once the membership is cancelled); the next check-in
    closes them. 404 `MEMBER_NOT_FOUND`."""
    reply = await attendance.ListMemberAlerts(
        rpb.ListMemberAlertsRequest(member_id=id), timeout=deadline
    )
    return MemberAlerts(aluno_id=id, itens=[mappers.alert_out(alert) for alert in reply.alerts])


@router.get(
    "/alertas/limites",
    response_model=Thresholds,
    summary="Alert thresholds",
    response_description="The thresholds in force and who changed them last.",
    responses=error_responses(),
    dependencies=[allow(*STAFF)],
)
async def get_thresholds(attendance: AttendanceDep, deadline: DeadlineDep) -> Thresholds:
    """The thresholds the alerts use (defaults: 14 days without a first visit, 4 visits a
    month in the first 90 days, inactivity stages 7, 14 and 30 days)."""
    reply = await attendance.GetAlertThresholds(rpb.GetAlertThresholdsRequest(), timeout=deadline)
    return mappers.thresholds_out(reply.thresholds)


@router.put(
    "/alertas/limites",
    response_model=Thresholds,
    summary="Change the alert thresholds",
    response_description="The thresholds as stored, with the caller's login and the time.",
    responses=error_responses(413, 422),
    dependencies=[allow(*STAFF)],
)
async def put_thresholds(
    body: ThresholdsInput, request: Request, attendance: AttendanceDep, deadline: DeadlineDep
) -> Thresholds:
    """Replaces every threshold; the next read of the alerts uses them. 422 `VALIDATION_ERROR`
    naming the field: a value out of range, or `estagios_inatividade_dias` not strictly
    increasing."""
    login = request.state.principal.login
    reply = await attendance.UpdateAlertThresholds(
        mappers.thresholds_request(body, login), timeout=deadline
    )
    return mappers.thresholds_out(reply.thresholds)
