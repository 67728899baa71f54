"""GetCohortReport, GetAttritionReport and GetWeeklyTrend over gRPC on real PostgreSQL. Each test
puts its members on a plan of its own, so the figures of that plan are exactly its members'
(the database is shared and never cleaned)."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from attendance_support import ago, assert_error, now, rpc_error, ts, unique_code

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_attendance.domain.outcomes import add_months

GYM = ZoneInfo("America/Sao_Paulo")  # the tests' server setting
INVALID = grpc.StatusCode.INVALID_ARGUMENT


def local_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=GYM)


def months_ago(count: int, day: int = 2) -> datetime:
    """Noon of ``day`` of the gym-local month ``count`` months before this one."""
    first = add_months(now().astimezone(GYM).date().replace(day=1), -count)
    return local_noon(first.replace(day=day))


@pytest.fixture
async def own_plan(attendance) -> pb.Plan:
    request = pb.CreatePlanRequest(
        code=unique_code("coorte"), name="Plano de teste", duration_months=1, price_cents=9990
    )
    return (await attendance.CreatePlan(request)).plan


async def cancel(attendance, member_id: int, at: datetime, reason: int) -> None:
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=member_id, cancelled_at=ts(at), reason=reason)
    )


async def test_cohorts_count_the_members_still_active_months_after_joining(
    attendance, register_member, own_plan
):
    joined = months_ago(3)
    stays = await register_member(plan_id=own_plan.id, enrolled_at=joined)
    leaves_early = await register_member(plan_id=own_plan.id, enrolled_at=joined)
    leaves_later = await register_member(plan_id=own_plan.id, enrolled_at=joined)
    await cancel(
        attendance, leaves_early.id, joined + timedelta(days=10), pb.CANCELLATION_REASON_PRICE
    )
    await cancel(
        attendance, leaves_later.id, joined + timedelta(days=45), pb.CANCELLATION_REASON_HEALTH
    )
    assert stays.active

    reply = await attendance.GetCohortReport(rpb.GetCohortReportRequest(months=6))
    assert reply.months == 6
    label = joined.strftime("%Y-%m")
    [cohort] = [c for c in reply.cohorts if c.plan_code == own_plan.code]
    assert (cohort.join_month, cohort.members) == (label, 3)
    assert len(cohort.retained) == 6
    assert cohort.retained[0] == pytest.approx(2 / 3)  # one left within the first month
    assert cohort.retained[1] == pytest.approx(1 / 3)  # another within the second
    assert cohort.retained[-1] == -1  # six months after joining is still to come
    everyone = [c for c in reply.cohorts if c.join_month == label and not c.plan_code]
    assert len(everyone) == 1 and everyone[0].members >= 3
    months = [c.join_month for c in reply.cohorts]
    assert months == sorted(months)


async def test_attrition_counts_active_members_at_the_start_and_the_cancellations(
    attendance, register_member, own_plan
):
    before = months_ago(2)
    one = await register_member(plan_id=own_plan.id, enrolled_at=before)
    two = await register_member(plan_id=own_plan.id, enrolled_at=before)
    await register_member(plan_id=own_plan.id, enrolled_at=before)
    cancel_day = months_ago(1, day=10)
    await cancel(attendance, one.id, cancel_day, pb.CANCELLATION_REASON_NOT_GIVEN)
    await cancel(attendance, two.id, cancel_day, pb.CANCELLATION_REASON_COMPETITOR)

    reply = await attendance.GetAttritionReport(rpb.GetAttritionReportRequest(months=3))
    assert [m.month for m in reply.months] == [
        months_ago(2).strftime("%Y-%m"),
        months_ago(1).strftime("%Y-%m"),
        now().astimezone(GYM).strftime("%Y-%m"),
    ]
    joined_month, cancel_month, this_month = reply.months
    [plan] = [p for p in joined_month.by_plan if p.plan_code == own_plan.code]
    assert (plan.active_at_start, plan.cancellations) == (0, 0)
    assert not plan.HasField("attrition_rate")
    [plan] = [p for p in cancel_month.by_plan if p.plan_code == own_plan.code]
    assert (plan.active_at_start, plan.cancellations) == (3, 2)
    assert plan.attrition_rate == pytest.approx(2 / 3)
    [plan] = [p for p in this_month.by_plan if p.plan_code == own_plan.code]
    assert (plan.active_at_start, plan.cancellations) == (1, 0)

    reasons = {r.reason_code: r.cancellations for r in cancel_month.by_reason}
    assert reasons["nao_informado"] >= 1 and reasons["concorrencia"] >= 1
    assert sum(reasons.values()) == cancel_month.cancellations
    assert cancel_month.active_at_start == sum(p.active_at_start for p in cancel_month.by_plan)
    assert cancel_month.attrition_rate == pytest.approx(
        cancel_month.cancellations / cancel_month.active_at_start
    )


async def test_the_weekly_trend_counts_what_happens_in_its_weeks(attendance, register_member):
    today = now().astimezone(GYM).date()
    before = await attendance.GetWeeklyTrend(rpb.GetWeeklyTrendRequest(weeks=3))
    member = await register_member(enrolled_at=ago(days=60))
    entered = ago(minutes=90)
    await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(
            member_id=member.id,
            entered_at=ts(entered),
            exited_at=ts(entered + timedelta(minutes=45)),
        )
    )
    after = await attendance.GetWeeklyTrend(rpb.GetWeeklyTrendRequest(weeks=3))

    assert after.until_date == today.isoformat()
    assert len(after.weeks) == 3 and len(after.same_weekday) == 5
    monday = today - timedelta(days=today.weekday())
    assert [w.first_date for w in after.weeks] == [
        (monday - timedelta(weeks=back)).isoformat() for back in (2, 1, 0)
    ]
    assert after.weeks[-1].last_date == today.isoformat()
    assert [d.first_date for d in after.same_weekday] == [
        (today - timedelta(weeks=back)).isoformat() for back in range(5)
    ]
    entered_today = entered.astimezone(GYM).date() == today
    last_before, last_after = before.weeks[-1], after.weeks[-1]
    if entered.astimezone(GYM).date() >= monday:
        assert last_after.visits == last_before.visits + 1
        assert last_after.average_visit_minutes > 0
    if entered_today:
        assert after.same_weekday[0].visits == before.same_weekday[0].visits + 1


async def test_reports_refuse_bad_ranges(attendance):
    error = await rpc_error(attendance.GetCohortReport(rpb.GetCohortReportRequest(months=37)))
    assert_error(error, INVALID, "VALIDATION_ERROR", "months")
    error = await rpc_error(attendance.GetAttritionReport(rpb.GetAttritionReportRequest(months=-1)))
    assert_error(error, INVALID, "VALIDATION_ERROR", "months")
    error = await rpc_error(attendance.GetWeeklyTrend(rpb.GetWeeklyTrendRequest(weeks=53)))
    assert_error(error, INVALID, "VALIDATION_ERROR", "weeks")
    tomorrow = (now().astimezone(GYM).date() + timedelta(days=1)).isoformat()
    error = await rpc_error(
        attendance.GetWeeklyTrend(rpb.GetWeeklyTrendRequest(until_date=tomorrow))
    )
    assert_error(error, INVALID, "VALIDATION_ERROR", "until_date")
    for bad in ("3/4/25", "0001-01-01", "1970-01-10"):
        error = await rpc_error(
            attendance.GetWeeklyTrend(rpb.GetWeeklyTrendRequest(until_date=bad))
        )
        assert_error(error, INVALID, "VALIDATION_ERROR", "until_date")
