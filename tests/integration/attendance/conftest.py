"""Fixtures of the attendance RPC tests: the default plans and a member factory."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from attendance_support import now, ts, unique_email

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub

# Members are enrolled this long ago by default, so tests can record history.
DEFAULT_TENURE = timedelta(days=400)

RegisterMember = Callable[..., Awaitable[pb.Member]]


@pytest.fixture(scope="session")
async def default_plans(attendance: AttendanceServiceStub) -> dict[str, pb.Plan]:
    response = await attendance.ListPlans(pb.ListPlansRequest(include_inactive=True))
    return {plan.code: plan for plan in response.plans}


@pytest.fixture
def register_member(
    attendance: AttendanceServiceStub, default_plans: dict[str, pb.Plan]
) -> RegisterMember:
    """``await register_member(**fields)``: a new member (unique e-mail, monthly plan, enrolled
    400 days ago unless told otherwise)."""

    async def register(*, enrolled_at: datetime | None = None, **fields: object) -> pb.Member:
        request = pb.RegisterMemberRequest(
            name=str(fields.pop("name", "Ana Souza")),
            email=str(fields.pop("email", unique_email())),
            plan_id=int(fields.pop("plan_id", default_plans["mensal"].id)),  # type: ignore[call-overload]
            enrolled_at=ts(enrolled_at or now() - DEFAULT_TENURE),
            **fields,  # type: ignore[arg-type]
        )
        return (await attendance.RegisterMember(request)).member

    return register
