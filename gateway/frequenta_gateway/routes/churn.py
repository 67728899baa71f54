"""A member's churn risk."""

from fastapi import APIRouter

from frequenta.attendance.v1 import attendance_pb2
from frequenta.churn.v1 import churn_pb2
from frequenta_gateway import mappers
from frequenta_gateway.clients import AttendanceDep, ChurnDep, DeadlineDep
from frequenta_gateway.routes import MemberIdPath
from frequenta_gateway.schemas.churn import ChurnRisk
from frequenta_gateway.schemas.errors import error_responses

router = APIRouter(tags=["risco"])


@router.get(
    "/aluno/{id:int}/risco-churn",
    response_model=ChurnRisk,
    summary="Churn risk of a member",
    response_description="The risk now and the factors behind it.",
    responses=error_responses(404, 409, 422),
)
async def get_churn_risk(
    id: MemberIdPath, attendance: AttendanceDep, churn: ChurnDep, deadline: DeadlineDep
) -> ChurnRisk:
    """Probability of cancelling within the horizon, band, the factors with their direction,
    recommendations, model version. 404 `MEMBER_NOT_FOUND` (checked with attendance first);
    503 `NO_MODEL` with `Retry-After` while no model has been trained yet."""
    await attendance.GetMember(attendance_pb2.GetMemberRequest(member_id=id), timeout=deadline)
    reply = await churn.GetChurnRisk(churn_pb2.GetChurnRiskRequest(member_id=id), timeout=deadline)
    return mappers.churn_risk_out(reply.risk)
