"""Churn risk: one member's, and the at-risk list."""

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query, Response

from frequenta.attendance.v1 import attendance_pb2
from frequenta.churn.v1 import churn_pb2
from frequenta_gateway import mappers
from frequenta_gateway.auth.policies import OWN_MEMBER, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.cache import CacheDep
from frequenta_gateway.clients import AttendanceDep, ChurnDep, DeadlineDep, SettingsDep
from frequenta_gateway.errors import ApiError
from frequenta_gateway.names import member_names
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.churn import AtRiskPage, BandFilter, ChurnRisk
from frequenta_gateway.schemas.common import INT32_MAX
from frequenta_gateway.schemas.errors import ErrorDetail, error_responses
from frequenta_gateway.settings import GatewaySettings

router = APIRouter(tags=["risco"], route_class=PolicyFirstRoute)

RISK_PATH = "/aluno/{id:int}/risco-churn"


@router.get(
    RISK_PATH,
    response_model=ChurnRisk,
    summary="Churn risk of a member",
    response_description="The risk now and the factors behind it.",
    responses=error_responses(404, 409, 422),
    dependencies=[allow(*STAFF, OWN_MEMBER)],
)
async def get_churn_risk(
    id: MemberIdPath,
    attendance: AttendanceDep,
    churn: ChurnDep,
    deadline: DeadlineDep,
    settings: SettingsDep,
    cache: CacheDep,
) -> Response:
    """Probability of cancelling within the horizon, band, the top factors with their
    direction and a sentence staff understand, recommendations, model version, computed now
    from the member's visits.

    - 404 `MEMBER_NOT_FOUND`: attendance does not know the member; or attendance does but
      churn does not yet (its projection applies attendance's events within seconds: retry).
    - 409 `MEMBERSHIP_CANCELLED`: the membership was cancelled (the message gives the date);
      risk is computed for active members only.
    - 503 `NO_MODEL` with `Retry-After` while no model has been trained yet.
    - A member enrolled less than 42 days ago gets a score with `historico_limitado: true`.

    Attendance and churn are asked at once. Attendance, which owns memberships, decides
    404 and 409 (a cancellation churn's projection has not applied yet is still a 409)."""

    async def answer() -> ChurnRisk:
        member = attendance.GetMember(
            attendance_pb2.GetMemberRequest(member_id=id), timeout=deadline
        )
        risk = churn.GetChurnRisk(churn_pb2.GetChurnRiskRequest(member_id=id), timeout=deadline)
        known, reply = await asyncio.gather(member, risk, return_exceptions=True)
        if isinstance(known, BaseException):
            raise known
        if not known.member.active and known.member.HasField("cancelled_at"):
            raise membership_cancelled(id, mappers.instant(known.member, "cancelled_at"), settings)
        if isinstance(reply, BaseException):
            raise reply
        return mappers.churn_risk_out(reply.risk)

    return await cache.churn_risk(id, answer)


def membership_cancelled(member_id: int, cancelled_at, settings: GatewaySettings) -> ApiError:
    """The answer churn gives for a cancelled member, from attendance's record."""
    day = cancelled_at.astimezone(settings.tz).date().isoformat()
    message = (
        f"Member {member_id}'s membership was cancelled on {day} ({cancelled_at.isoformat()}); "
        "churn risk is computed for active members only."
    )
    return ApiError(
        409, "MEMBERSHIP_CANCELLED", message, [ErrorDetail(campo="aluno_id", mensagem=message)]
    )


@router.get(
    "/alunos/risco",
    response_model=AtRiskPage,
    summary="Members at risk of cancelling",
    response_description="A page of active members, highest risk first.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def list_at_risk(
    churn: ChurnDep,
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    cache: CacheDep,
    nivel_minimo: Annotated[
        BandFilter | None,
        Query(description="Only this band and above (`baixo`, `médio` or `medio`, `alto`)."),
    ] = None,
    plano: Annotated[
        str | None,
        Query(min_length=1, max_length=40, description="Only members of this plan code."),
    ] = None,
    max_dias_matricula: Annotated[
        int | None,
        Query(ge=1, le=INT32_MAX, description="Only members enrolled at most this many days."),
    ] = None,
    pagina: Annotated[int, Query(ge=1, le=INT32_MAX, description="1-based page.")] = 1,
    tamanho: Annotated[int, Query(ge=1, le=200, description="Page size, up to 200.")] = 50,
    min_dias_matricula: Annotated[
        int | None,
        Query(
            ge=1,
            le=INT32_MAX,
            description="Only members enrolled at least this many days (with "
            "`max_dias_matricula`, not above it).",
        ),
    ] = None,
    capacidade: Annotated[
        int | None,
        Query(
            ge=1,
            le=100_000,
            description="Members the team can call today; default the setting "
            "FREQUENTA_RETENTION_DAILY_CALLS (40).",
        ),
    ] = None,
) -> Response:
    """Active members ranked by their probability of cancelling within the horizon, for the
    retention team: each with band, top 3 factors, recommendations and name. Never a cancelled
    member. Scored from a snapshot of every active member (refreshed when the serving model
    changes and every few minutes: `calculado_em`); members cancelled since are left out at
    once. 503 `NO_MODEL` while no model has been trained yet.

    Retention work (docs/retention.md): each member's visits per week recent against their
    usual rate, contact status, latest contact and retention group; for the page, the day's
    call capacity and the share of the expected cancellations it covers. A contact recorded
    shows at once (the cached list becomes unreachable). 422 `INVALID_MIN_TENURE` when
    `min_dias_matricula` is above `max_dias_matricula`."""

    async def answer() -> AtRiskPage:
        request = mappers.at_risk_request(
            min_band=nivel_minimo,
            plan_code=plano,
            max_tenure_days=max_dias_matricula,
            page=pagina,
            size=tamanho,
            min_tenure_days=min_dias_matricula,
            capacity=capacidade,
        )
        reply = await churn.ListAtRiskMembers(request, timeout=deadline)
        names = await member_names(attendance, [m.member_id for m in reply.members], deadline)
        return mappers.at_risk_page_out(reply, names, page=pagina, size=tamanho)

    return await cache.at_risk(
        answer,
        nivel_minimo=nivel_minimo,
        plano=plano,
        max_dias_matricula=max_dias_matricula,
        pagina=pagina,
        tamanho=tamanho,
        min_dias_matricula=min_dias_matricula,
        capacidade=capacidade,
    )
