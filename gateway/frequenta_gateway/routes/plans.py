"""Plans: list and create."""

from typing import Annotated

from fastapi import APIRouter, Query, status

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway import mappers
from frequenta_gateway.auth.policies import ADMIN, ALUNO, STAFF, PolicyFirstRoute, allow
from frequenta_gateway.clients import AttendanceDep, DeadlineDep
from frequenta_gateway.rate_limits import WRITES
from frequenta_gateway.schemas.errors import error_responses
from frequenta_gateway.schemas.plans import Plan, PlanCreation

# Writes are rate-limited (after the policy, so they count against the caller's login).
router = APIRouter(tags=["planos"], route_class=PolicyFirstRoute, dependencies=[WRITES])


@router.get(
    "/planos",
    response_model=list[Plan],
    summary="List plans",
    response_description="The plans.",
    responses=error_responses(422),
    dependencies=[allow(*STAFF, ALUNO)],
)
async def list_plans(
    attendance: AttendanceDep,
    deadline: DeadlineDep,
    incluir_inativos: Annotated[
        bool, Query(description="Include plans no longer offered.")
    ] = False,
) -> list[Plan]:
    """Plans ordered by duration, then price; active ones only unless asked otherwise."""
    request = pb.ListPlansRequest(include_inactive=incluir_inativos)
    reply = await attendance.ListPlans(request, timeout=deadline)
    return [mappers.plan_out(plan) for plan in reply.plans]


@router.post(
    "/planos",
    status_code=status.HTTP_201_CREATED,
    response_model=Plan,
    summary="Create a plan",
    response_description="The plan as stored.",
    responses=error_responses(409, 422),
    dependencies=[allow(ADMIN)],
)
async def create_plan(body: PlanCreation, attendance: AttendanceDep, deadline: DeadlineDep) -> Plan:
    """Creates an active plan (201). 409 when the code is taken."""
    reply = await attendance.CreatePlan(mappers.create_plan_request(body), timeout=deadline)
    return mappers.plan_out(reply.plan)
