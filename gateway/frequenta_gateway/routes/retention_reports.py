"""Outcome reports: cohort retention, monthly attrition, weekly trend
(docs/alerts-and-outcomes.md)."""

from typing import Annotated

from fastapi import APIRouter, Query

from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_gateway import retention_mappers as mappers
from frequenta_gateway.auth.policies import STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.schemas.common import CalendarDate
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.outcomes import AttritionReport, CohortReport, WeeklyTrend

router = APIRouter(tags=["relatorios"], route_class=PolicyFirstRoute)

MonthsQuery = Annotated[
    int, Query(ge=1, le=36, description="Months, ending with the current one (1 to 36).")
]


@router.get(
    "/relatorios/coortes",
    response_model=CohortReport,
    summary="Cohort retention",
    response_description="Retention by join month and plan.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def cohorts(
    attendance: AttendanceDep, deadline: DeadlineDep, meses: MonthsQuery = 12
) -> CohortReport:
    """Members who joined in each of the last `meses` gym-local months (every plan together,
    then each plan), and the share still active 1..`meses` calendar months after their own
    join instant (null until every member of the cohort got there)."""
    reply = await attendance.GetCohortReport(
        rpb.GetCohortReportRequest(months=meses), timeout=deadline
    )
    return mappers.cohorts_out(reply)


@router.get(
    "/relatorios/atrito",
    response_model=AttritionReport,
    summary="Monthly attrition",
    response_description="Per calendar month: active at the start, cancellations, rate.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def attrition(
    attendance: AttendanceDep, deadline: DeadlineDep, meses: MonthsQuery = 12
) -> AttritionReport:
    """For each of the last `meses` gym-local calendar months: members active at its first
    instant (`ativos_inicio`), memberships ended in it (`cancelamentos`), `taxa_atrito` (their
    ratio), new members, by plan and by cancellation reason code (`codigo_motivo` given at
    `POST /aluno/{id}/cancelamento`)."""
    reply = await attendance.GetAttritionReport(
        rpb.GetAttritionReportRequest(months=meses), timeout=deadline
    )
    return mappers.attrition_out(reply)


@router.get(
    "/relatorios/tendencia",
    response_model=WeeklyTrend,
    summary="Weekly attendance trend",
    response_description="Weeks up to a date, and that weekday in the previous 4 weeks.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF)],
)
async def weekly_trend(
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    ate: Annotated[
        CalendarDate | None,
        Query(description="Last local date covered (YYYY-MM-DD), not after today; default today."),
    ] = None,
    semanas: Annotated[int, Query(ge=1, le=52, description="Weeks to report (1 to 52).")] = 8,
) -> WeeklyTrend:
    """Per Monday-to-Sunday gym-local week (the last one ends at `ate`): visits, distinct
    members, new members, cancellations and mean visit duration; and `ate` with the same
    weekday 1 to 4 weeks before. 422 `VALIDATION_ERROR` for a date after today."""
    request = rpb.GetWeeklyTrendRequest(until_date=ate.isoformat() if ate else "", weeks=semanas)
    reply = await attendance.GetWeeklyTrend(request, timeout=deadline)
    return mappers.trend_out(reply)
