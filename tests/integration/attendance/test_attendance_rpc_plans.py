"""ListPlans and CreatePlan over gRPC on real PostgreSQL."""

import grpc
import pytest
from attendance_support import assert_error, rpc_error, unique_code

from frequenta.attendance.v1 import attendance_pb2 as pb

DEFAULTS = {
    "mensal": ("Plano Mensal", 1, 11990),
    "trimestral": ("Plano Trimestral", 3, 32990),
    "semestral": ("Plano Semestral", 6, 59990),
    "anual": ("Plano Anual", 12, 109990),
}


async def test_the_default_plans_are_offered_in_order_of_duration(attendance):
    plans = (await attendance.ListPlans(pb.ListPlansRequest())).plans
    defaults = [plan for plan in plans if plan.code in DEFAULTS]
    assert [plan.code for plan in defaults] == ["mensal", "trimestral", "semestral", "anual"]
    for plan in defaults:
        assert (plan.name, plan.duration_months, plan.price_cents) == DEFAULTS[plan.code]
        assert plan.active
    durations = [(plan.duration_months, plan.price_cents) for plan in plans]
    assert durations == sorted(durations)


async def test_create_plan_then_list_it(attendance):
    code = unique_code()
    created = (
        await attendance.CreatePlan(
            pb.CreatePlanRequest(
                code=code, name=" Plano Bimestral ", duration_months=2, price_cents=22990
            )
        )
    ).plan
    assert created.id > 0
    assert (created.code, created.name, created.duration_months, created.price_cents) == (
        code,
        "Plano Bimestral",
        2,
        22990,
    )
    assert created.active
    listed = (await attendance.ListPlans(pb.ListPlansRequest())).plans
    assert created in listed


async def test_a_free_plan_and_the_largest_price_round_trip_exactly(attendance):
    for cents in (0, 99_999_999_99, 1):
        plan = (
            await attendance.CreatePlan(
                pb.CreatePlanRequest(
                    code=unique_code(), name="Plano X", duration_months=1, price_cents=cents
                )
            )
        ).plan
        assert plan.price_cents == cents


async def test_plan_codes_are_unique(attendance):
    request = pb.CreatePlanRequest(
        code=unique_code(), name="Plano Y", duration_months=1, price_cents=100
    )
    await attendance.CreatePlan(request)
    error = await rpc_error(attendance.CreatePlan(request))
    assert_error(error, grpc.StatusCode.ALREADY_EXISTS, "PLAN_CODE_ALREADY_EXISTS", "code")


async def test_inactive_plans_are_listed_only_on_request(attendance, attendance_engine):
    from sqlalchemy import text

    plan = (
        await attendance.CreatePlan(
            pb.CreatePlanRequest(
                code=unique_code(), name="Plano Z", duration_months=1, price_cents=100
            )
        )
    ).plan
    async with attendance_engine.begin() as connection:  # no RPC retires a plan yet
        await connection.execute(
            text("UPDATE planos SET ativo = false WHERE id = :id"), {"id": plan.id}
        )
    offered = (await attendance.ListPlans(pb.ListPlansRequest())).plans
    everything = (await attendance.ListPlans(pb.ListPlansRequest(include_inactive=True))).plans
    assert plan.id not in {p.id for p in offered}
    retired = next(p for p in everything if p.id == plan.id)
    assert not retired.active


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": ""}, "code"),
        ({"code": "x"}, "code"),
        ({"code": "Mensal-Plus"}, "code"),
        ({"code": "plano mensal"}, "code"),
        ({"code": "p" * 41}, "code"),
        ({"name": " "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"duration_months": 0}, "duration_months"),
        ({"duration_months": 37}, "duration_months"),
        ({"price_cents": -1}, "price_cents"),
        ({"price_cents": 100_000_000_00}, "price_cents"),
    ],
)
async def test_bad_plans_are_refused_naming_the_field(attendance, fields, field):
    request = {"code": unique_code(), "name": "Plano", "duration_months": 1, "price_cents": 100}
    request.update(fields)
    error = await rpc_error(attendance.CreatePlan(pb.CreatePlanRequest(**request)))
    assert_error(error, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", field)
