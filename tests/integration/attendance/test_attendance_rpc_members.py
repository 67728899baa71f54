"""RegisterMember, GetMember, ListMembers and CancelMembership over gRPC on real PostgreSQL."""

import asyncio
from datetime import date, timedelta

import grpc
import pytest
from attendance_support import (
    ago,
    assert_error,
    instant,
    now,
    rpc_error,
    ts,
    unique_code,
    unique_email,
)

from frequenta.attendance.v1 import attendance_pb2 as pb

INVALID = grpc.StatusCode.INVALID_ARGUMENT
CONFLICT = grpc.StatusCode.FAILED_PRECONDITION


async def test_register_member_stores_and_returns_every_field(attendance, default_plans):
    email = unique_email()
    enrolled = ago(days=90)
    response = await attendance.RegisterMember(
        pb.RegisterMemberRequest(
            name="  Maria da Silva ",
            email=email,
            phone="+55 (11) 98765-4321",
            birth_date="1990-05-17",
            plan_id=default_plans["trimestral"].id,
            enrolled_at=ts(enrolled),
        )
    )
    member = response.member
    assert member.id > 0
    assert (member.name, member.email) == ("Maria da Silva", email)
    assert (member.phone, member.birth_date) == ("+55 (11) 98765-4321", "1990-05-17")
    assert member.plan == default_plans["trimestral"]
    assert member.active and not member.HasField("cancelled_at")
    assert abs(instant(member.enrolled_at) - enrolled) < timedelta(milliseconds=1)
    # the quarterly cycle after 90 days: the next end, on or after today, within one term
    renewal = date.fromisoformat(member.next_renewal_on)
    assert now().date() - timedelta(days=1) <= renewal <= now().date() + timedelta(days=93)

    fetched = await attendance.GetMember(pb.GetMemberRequest(member_id=member.id))
    assert fetched.member == member


async def test_enrollment_defaults_to_now_and_may_lie_within_the_clock_skew(
    attendance, default_plans
):
    before = now()
    member = (
        await attendance.RegisterMember(
            pb.RegisterMemberRequest(
                name="Rui", email=unique_email(), plan_id=default_plans["mensal"].id
            )
        )
    ).member
    assert before <= instant(member.enrolled_at) <= now()
    assert (member.phone, member.birth_date) == ("", "")

    soon = now() + timedelta(minutes=2)
    early = await attendance.RegisterMember(
        pb.RegisterMemberRequest(
            name="Rui",
            email=unique_email(),
            plan_id=default_plans["mensal"].id,
            enrolled_at=ts(soon),
        )
    )
    assert early.member.enrolled_at == ts(soon)


async def test_enrollment_beyond_the_clock_skew_is_refused(attendance, default_plans):
    error = await rpc_error(
        attendance.RegisterMember(
            pb.RegisterMemberRequest(
                name="Rui",
                email=unique_email(),
                plan_id=default_plans["mensal"].id,
                enrolled_at=ts(now() + timedelta(minutes=10)),
            )
        )
    )
    assert_error(error, INVALID, "TIMESTAMP_IN_FUTURE", "enrolled_at")


async def test_email_is_unique_whatever_its_case_even_after_cancellation(
    attendance, register_member
):
    email = unique_email()
    first = await register_member(email=email)
    error = await rpc_error(register_member(email=email.upper()))
    assert_error(error, grpc.StatusCode.ALREADY_EXISTS, "EMAIL_ALREADY_REGISTERED", "email")

    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=first.id, reason=pb.CANCELLATION_REASON_PRICE)
    )
    error = await rpc_error(register_member(email=email.title()))
    assert error.reason == "EMAIL_ALREADY_REGISTERED"


async def test_concurrent_registrations_of_one_email_leave_exactly_one_member(register_member):
    email = unique_email()
    variants = [email, email.upper(), email.capitalize(), email, email.upper(), email]
    outcomes = await asyncio.gather(
        *(register_member(email=variant) for variant in variants), return_exceptions=True
    )
    members = [o for o in outcomes if isinstance(o, pb.Member)]
    failures = [o for o in outcomes if not isinstance(o, pb.Member)]
    assert len(members) == 1
    for failure in failures:
        assert isinstance(failure, grpc.aio.AioRpcError), failure
        assert failure.code() == grpc.StatusCode.ALREADY_EXISTS, failure


async def test_unknown_plan_is_not_found_and_missing_plan_is_invalid(register_member):
    error = await rpc_error(register_member(plan_id=987_654_321))
    assert_error(error, grpc.StatusCode.NOT_FOUND, "PLAN_NOT_FOUND", "plan_id")
    error = await rpc_error(register_member(plan_id=0))
    assert_error(error, INVALID, "VALIDATION_ERROR", "plan_id")


async def test_a_plan_no_longer_offered_takes_no_new_members(
    attendance, attendance_engine, register_member
):
    from sqlalchemy import text

    plan = (
        await attendance.CreatePlan(
            pb.CreatePlanRequest(
                code=unique_code(), name="Plano Antigo", duration_months=1, price_cents=9900
            )
        )
    ).plan
    async with attendance_engine.begin() as connection:  # no RPC retires a plan yet
        await connection.execute(
            text("UPDATE planos SET ativo = false WHERE id = :id"), {"id": plan.id}
        )
    error = await rpc_error(register_member(plan_id=plan.id))
    assert_error(error, CONFLICT, "PLAN_INACTIVE", "plan_id")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "  A  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "Ana\x00Souza"}, "name"),
        ({"name": "Ana\nSouza"}, "name"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ana@localhost"}, "email"),
        ({"email": "ana souza@example.com"}, "email"),
        ({"phone": "1234567"}, "phone"),
        ({"phone": "123456789012345678901"}, "phone"),
        ({"phone": "11 9876-abcd"}, "phone"),
        ({"phone": "11+98765432"}, "phone"),
        ({"birth_date": "17/05/1990"}, "birth_date"),
        ({"birth_date": "1990-02-30"}, "birth_date"),
        ({"birth_date": "19900517"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"birth_date": "1850-01-01"}, "birth_date"),
    ],
)
async def test_bad_registration_input_is_refused_naming_the_field(register_member, fields, field):
    error = await rpc_error(register_member(**fields))
    assert_error(error, INVALID, "VALIDATION_ERROR", field)


async def test_enrollment_timestamp_must_be_a_real_instant(attendance, default_plans):
    request = pb.RegisterMemberRequest(
        name="Rui", email=unique_email(), plan_id=default_plans["mensal"].id
    )
    request.enrolled_at.SetInParent()  # set, but the zero instant (1970-01-01)
    error = await rpc_error(attendance.RegisterMember(request))
    assert_error(error, INVALID, "VALIDATION_ERROR", "enrolled_at")


async def test_get_member_of_unknown_or_missing_id(attendance):
    error = await rpc_error(attendance.GetMember(pb.GetMemberRequest(member_id=987_654_321)))
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")
    error = await rpc_error(attendance.GetMember(pb.GetMemberRequest()))
    assert_error(error, INVALID, "VALIDATION_ERROR", "member_id")


# -- listing ---------------------------------------------------------------------------------------


@pytest.fixture
async def listing_plan(attendance) -> pb.Plan:
    """A plan of its own, so a listing filtered by it sees only this test's members."""
    request = pb.CreatePlanRequest(
        code=unique_code("list"), name="Plano Lista", duration_months=1, price_cents=1000
    )
    return (await attendance.CreatePlan(request)).plan


async def test_list_members_filters_orders_and_pages(attendance, register_member, listing_plan):
    tag = unique_code("tag")
    oldest = await register_member(
        plan_id=listing_plan.id, name=f"Carla {tag}", enrolled_at=ago(days=30)
    )
    middle = await register_member(
        plan_id=listing_plan.id, name="Bruno", email=f"{tag}@example.com", enrolled_at=ago(days=20)
    )
    newest = await register_member(plan_id=listing_plan.id, name="Duda", enrolled_at=ago(days=10))
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=middle.id, reason=pb.CANCELLATION_REASON_HEALTH)
    )

    def ids(response: pb.ListMembersResponse) -> list[int]:
        return [member.id for member in response.members]

    everyone = await attendance.ListMembers(pb.ListMembersRequest(plan_id=listing_plan.id))
    assert ids(everyone) == [newest.id, middle.id, oldest.id]
    assert everyone.total == 3

    active = await attendance.ListMembers(
        pb.ListMembersRequest(plan_id=listing_plan.id, status=pb.MEMBER_STATUS_FILTER_ACTIVE)
    )
    assert (ids(active), active.total) == ([newest.id, oldest.id], 2)
    cancelled = await attendance.ListMembers(
        pb.ListMembersRequest(plan_id=listing_plan.id, status=pb.MEMBER_STATUS_FILTER_CANCELLED)
    )
    assert (ids(cancelled), cancelled.total) == ([middle.id], 1)

    by_text = await attendance.ListMembers(pb.ListMembersRequest(query=tag.upper()))
    assert (ids(by_text), by_text.total) == ([middle.id, oldest.id], 2)

    second_page = await attendance.ListMembers(
        pb.ListMembersRequest(plan_id=listing_plan.id, page=2, page_size=2)
    )
    assert (ids(second_page), second_page.total) == ([oldest.id], 3)


async def test_list_members_by_ids_names_a_page_in_one_call(attendance, register_member):
    """The gateway names a page of the at-risk list with one ListMembers filtered by ids."""
    first, second, third = [await register_member(name=f"Nome {n}") for n in range(3)]
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=third.id, reason=pb.CANCELLATION_REASON_HEALTH)
    )
    asked = [second.id, 987_654_321, first.id, third.id]
    found = await attendance.ListMembers(
        pb.ListMembersRequest(member_ids=asked, page_size=len(asked))
    )
    assert {m.id: m.name for m in found.members} == {
        first.id: "Nome 0",
        second.id: "Nome 1",
        third.id: "Nome 2",
    }
    assert found.total == 3
    error = await rpc_error(attendance.ListMembers(pb.ListMembersRequest(member_ids=range(201))))
    assert_error(error, INVALID, "VALIDATION_ERROR", "member_ids")


async def test_list_members_query_matches_wildcards_literally(attendance, register_member):
    tag = unique_code("pct")
    percent = await register_member(name=f"100% {tag}")
    await register_member(name=f"1000 {tag}")
    found = await attendance.ListMembers(pb.ListMembersRequest(query=f"100% {tag}"))
    assert [member.id for member in found.members] == [percent.id]


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({"page_size": 201}, "page_size"),
        ({"page_size": -1}, "page_size"),
        ({"page": -1}, "page"),
        ({"plan_id": -5}, "plan_id"),
        ({"status": 42}, "status"),
        ({"query": "x" * 201}, "query"),
    ],
)
async def test_list_members_refuses_bad_filters(attendance, request_fields, field):
    error = await rpc_error(attendance.ListMembers(pb.ListMembersRequest(**request_fields)))
    assert_error(error, INVALID, "VALIDATION_ERROR", field)


# -- cancellation ----------------------------------------------------------------------------------


async def test_cancel_membership_records_date_reason_and_note(attendance, register_member):
    member = await register_member()
    ended = ago(days=3)
    response = await attendance.CancelMembership(
        pb.CancelMembershipRequest(
            member_id=member.id,
            cancelled_at=ts(ended),
            reason=pb.CANCELLATION_REASON_RELOCATION,
            note="  Mudou para Curitiba\nsem academia perto ",
        )
    )
    cancelled = response.member
    assert not cancelled.active
    assert cancelled.cancelled_at == ts(ended)
    assert cancelled.cancellation_reason == pb.CANCELLATION_REASON_RELOCATION
    assert cancelled.cancellation_note == "Mudou para Curitiba\nsem academia perto"
    assert member.next_renewal_on and cancelled.next_renewal_on == ""
    assert (await attendance.GetMember(pb.GetMemberRequest(member_id=member.id))).member == (
        cancelled
    )


async def test_cancellation_defaults_to_now(attendance, register_member):
    member = await register_member()
    before = now()
    cancelled = (
        await attendance.CancelMembership(
            pb.CancelMembershipRequest(member_id=member.id, reason=pb.CANCELLATION_REASON_OTHER)
        )
    ).member
    assert before <= instant(cancelled.cancelled_at) <= now()
    assert cancelled.cancellation_note == ""


async def test_cancelling_twice_is_a_conflict(attendance, register_member):
    member = await register_member()
    request = pb.CancelMembershipRequest(member_id=member.id, reason=pb.CANCELLATION_REASON_PRICE)
    await attendance.CancelMembership(request)
    error = await rpc_error(attendance.CancelMembership(request))
    assert_error(error, CONFLICT, "ALREADY_CANCELLED", "member_id")


async def test_cancellation_before_enrollment_or_in_the_future_is_refused(
    attendance, register_member
):
    member = await register_member(enrolled_at=ago(days=10))
    early = pb.CancelMembershipRequest(
        member_id=member.id, reason=pb.CANCELLATION_REASON_PRICE, cancelled_at=ts(ago(days=11))
    )
    assert_error(
        await rpc_error(attendance.CancelMembership(early)),
        INVALID,
        "CANCELLATION_BEFORE_ENROLLMENT",
        "cancelled_at",
    )
    late = pb.CancelMembershipRequest(
        member_id=member.id,
        reason=pb.CANCELLATION_REASON_PRICE,
        cancelled_at=ts(now() + timedelta(hours=1)),
    )
    assert_error(
        await rpc_error(attendance.CancelMembership(late)),
        INVALID,
        "TIMESTAMP_IN_FUTURE",
        "cancelled_at",
    )
    still = await attendance.GetMember(pb.GetMemberRequest(member_id=member.id))
    assert still.member.active


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({}, "reason"),
        ({"reason": 99}, "reason"),
        ({"reason": pb.CANCELLATION_REASON_OTHER, "note": "x" * 1001}, "note"),
    ],
)
async def test_cancellation_needs_a_known_reason_and_a_short_note(
    attendance, register_member, request_fields, field
):
    member = await register_member()
    request = pb.CancelMembershipRequest(member_id=member.id, **request_fields)
    error = await rpc_error(attendance.CancelMembership(request))
    assert_error(error, INVALID, "VALIDATION_ERROR", field)


async def test_cancelling_an_unknown_member_is_not_found(attendance):
    request = pb.CancelMembershipRequest(member_id=987_654_321, reason=pb.CANCELLATION_REASON_PRICE)
    error = await rpc_error(attendance.CancelMembership(request))
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")
