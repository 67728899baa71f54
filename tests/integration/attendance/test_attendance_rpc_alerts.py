"""ListAlerts, ListMemberAlerts and the alert thresholds over gRPC on real PostgreSQL: alerts
computed from the visits, closed by the next check-in (backfilled ones too), thresholds that
change them."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from attendance_support import ago, assert_error, now, rpc_error, ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import retention_pb2 as rpb

GYM = ZoneInfo("America/Sao_Paulo")  # the tests' server setting
INVALID = grpc.StatusCode.INVALID_ARGUMENT
DEFAULTS = rpb.AlertThresholds(
    days_without_first_visit=14,
    min_visits_per_month=4,
    early_period_days=90,
    inactivity_stages_days=[7, 14, 30],
)


def local_days(instant: datetime) -> int:
    """Gym-local days between ``instant`` and now."""
    return (now().astimezone(GYM).date() - instant.astimezone(GYM).date()).days


async def check_in(attendance, member_id: int, entered: datetime) -> None:
    await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=member_id, entered_at=ts(entered))
    )


async def alerts_of(attendance, member_id: int) -> list[rpb.Alert]:
    reply = await attendance.ListMemberAlerts(rpb.ListMemberAlertsRequest(member_id=member_id))
    return list(reply.alerts)


@pytest.fixture
async def thresholds(attendance) -> AsyncIterator[None]:
    """The defaults before and after the test (the thresholds are one row for the database)."""
    update = rpb.UpdateAlertThresholdsRequest(thresholds=DEFAULTS, changed_by="tests")
    await attendance.UpdateAlertThresholds(update)
    yield
    await attendance.UpdateAlertThresholds(update)


async def test_a_new_member_who_never_came_is_alerted_until_a_backfilled_visit(
    attendance, register_member, thresholds
):
    enrolled = ago(days=20)
    member = await register_member(enrolled_at=enrolled)

    [alert] = await alerts_of(attendance, member.id)
    assert alert.kind == rpb.ALERT_KIND_NO_FIRST_VISIT
    assert not alert.HasField("stage_days") and not alert.HasField("last_visit_at")
    assert alert.days_without_visit == local_days(enrolled)
    opened = enrolled.astimezone(GYM).date() + timedelta(days=14)
    assert alert.opened_at.ToDatetime(tzinfo=GYM).date() == opened
    assert (alert.member_name, alert.plan_code) == (member.name, member.plan.code)
    assert "ainda não veio" in alert.description

    await check_in(attendance, member.id, ago(days=3))  # backfilled, at its own instant
    assert await alerts_of(attendance, member.id) == []


async def test_inactivity_reaches_the_highest_stage_and_the_next_check_in_clears_it(
    attendance, register_member, thresholds
):
    member = await register_member()
    last = ago(days=16)
    await check_in(attendance, member.id, last)

    [alert] = await alerts_of(attendance, member.id)
    assert alert.kind == rpb.ALERT_KIND_INACTIVITY
    assert alert.stage_days == 14
    assert alert.days_without_visit == local_days(last)
    assert alert.last_visit_at.ToDatetime(tzinfo=UTC) == last
    assert "estágio de 14 dias" in alert.description

    await check_in(attendance, member.id, ago(minutes=5))
    assert await alerts_of(attendance, member.id) == []


async def test_a_late_evening_visit_counts_on_its_local_day(
    attendance, register_member, thresholds
):
    # 23:30 in São Paulo is already the next day in UTC: the visit still counts on its local day.
    day = now().astimezone(GYM).date() - timedelta(days=7)
    late = datetime.combine(day, time(23, 30), tzinfo=GYM)
    member = await register_member()
    await check_in(attendance, member.id, late)
    [alert] = await alerts_of(attendance, member.id)
    assert (alert.stage_days, alert.days_without_visit) == (7, 7)
    assert alert.opened_at.ToDatetime(tzinfo=UTC) == datetime.combine(
        now().astimezone(GYM).date(), time(0), tzinfo=GYM
    )


async def test_too_few_visits_in_an_early_month_alert_until_a_visit_after_that_month(
    attendance, register_member, thresholds
):
    member = await register_member(enrolled_at=ago(days=45))
    for days in (40, 35):  # two visits in the first 30-day month
        await check_in(attendance, member.id, ago(days=days))

    found = {alert.kind: alert for alert in await alerts_of(attendance, member.id)}
    assert set(found) == {rpb.ALERT_KIND_FEW_EARLY_VISITS, rpb.ALERT_KIND_INACTIVITY}
    early = found[rpb.ALERT_KIND_FEW_EARLY_VISITS]
    assert (early.early_month, early.early_month_visits) == (1, 2)
    assert found[rpb.ALERT_KIND_INACTIVITY].stage_days == 30

    await check_in(attendance, member.id, ago(days=10))  # after the month ended
    [left] = await alerts_of(attendance, member.id)
    assert (left.kind, left.stage_days) == (rpb.ALERT_KIND_INACTIVITY, 7)


async def test_a_regular_new_member_and_a_cancelled_one_have_no_alert(
    attendance, register_member, thresholds
):
    regular = await register_member(enrolled_at=ago(days=40))
    for days in (38, 31, 24, 17, 12, 9, 2):
        await check_in(attendance, regular.id, ago(days=days))
    assert await alerts_of(attendance, regular.id) == []

    gone = await register_member(enrolled_at=ago(days=60))
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=gone.id, reason=pb.CANCELLATION_REASON_PRICE)
    )
    assert await alerts_of(attendance, gone.id) == []


async def test_list_alerts_pages_filters_and_ranks_the_most_urgent_first(
    attendance, register_member, thresholds
):
    never = await register_member(enrolled_at=ago(days=30))
    idle = await register_member()
    await check_in(attendance, idle.id, ago(days=8))
    mine = {never.id, idle.id}

    reply = await attendance.ListAlerts(rpb.ListAlertsRequest(page_size=200))
    total = reply.total
    assert total >= 2
    everything = list(reply.alerts)
    page = 2
    while len(everything) < total:
        more = await attendance.ListAlerts(rpb.ListAlertsRequest(page=page, page_size=200))
        everything += more.alerts
        page += 1
    assert len(everything) == total
    ranked = [a.member_id for a in everything if a.member_id in mine]
    assert ranked == [never.id, idle.id]  # a new member who never came first
    kinds = [alert.kind for alert in everything]
    assert kinds == sorted(kinds)  # by kind, then stage

    inactive = await attendance.ListAlerts(
        rpb.ListAlertsRequest(kind=rpb.ALERT_KIND_INACTIVITY, page_size=200)
    )
    assert {a.kind for a in inactive.alerts} == {rpb.ALERT_KIND_INACTIVITY}
    assert inactive.total == kinds.count(rpb.ALERT_KIND_INACTIVITY)


async def test_new_thresholds_change_the_alerts_and_are_kept_with_who_changed_them(
    attendance, register_member, thresholds
):
    member = await register_member()
    await check_in(attendance, member.id, ago(days=4))
    assert await alerts_of(attendance, member.id) == []

    changed = rpb.AlertThresholds(
        days_without_first_visit=10,
        min_visits_per_month=3,
        early_period_days=60,
        inactivity_stages_days=[3, 5],
    )
    before = now()
    stored = await attendance.UpdateAlertThresholds(
        rpb.UpdateAlertThresholdsRequest(thresholds=changed, changed_by="gerente")
    )
    read = await attendance.GetAlertThresholds(rpb.GetAlertThresholdsRequest())
    assert read.thresholds == stored.thresholds
    assert list(read.thresholds.inactivity_stages_days) == [3, 5]
    assert read.thresholds.changed_by == "gerente"
    assert read.thresholds.changed_at.ToDatetime().timestamp() >= before.timestamp() - 1

    [alert] = await alerts_of(attendance, member.id)
    assert (alert.kind, alert.stage_days) == (rpb.ALERT_KIND_INACTIVITY, 3)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inactivity_stages_days": [7, 7, 30]}, "inactivity_stages_days"),
        ({"inactivity_stages_days": [14, 7]}, "inactivity_stages_days"),
        ({"inactivity_stages_days": []}, "inactivity_stages_days"),
        ({"inactivity_stages_days": [0, 7]}, "inactivity_stages_days"),
        ({"inactivity_stages_days": [7, 366]}, "inactivity_stages_days"),
        ({"days_without_first_visit": 0}, "days_without_first_visit"),
        ({"min_visits_per_month": 32}, "min_visits_per_month"),
        ({"early_period_days": 29}, "early_period_days"),
    ],
)
async def test_bad_thresholds_are_refused_and_nothing_changes(
    attendance, thresholds, change, field
):
    values = {
        "days_without_first_visit": 14,
        "min_visits_per_month": 4,
        "early_period_days": 90,
        "inactivity_stages_days": [7, 14, 30],
        **change,
    }
    request = rpb.UpdateAlertThresholdsRequest(thresholds=rpb.AlertThresholds(**values))
    error = await rpc_error(attendance.UpdateAlertThresholds(request))
    assert_error(error, INVALID, "VALIDATION_ERROR", field)
    read = await attendance.GetAlertThresholds(rpb.GetAlertThresholdsRequest())
    assert list(read.thresholds.inactivity_stages_days) == [7, 14, 30]


async def test_alerts_of_an_unknown_member_and_bad_pages_are_refused(attendance):
    error = await rpc_error(
        attendance.ListMemberAlerts(rpb.ListMemberAlertsRequest(member_id=2**62))
    )
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")
    error = await rpc_error(attendance.ListAlerts(rpb.ListAlertsRequest(page_size=201)))
    assert_error(error, INVALID, "VALIDATION_ERROR", "page_size")
    error = await rpc_error(attendance.ListAlerts(rpb.ListAlertsRequest(kind=99)))
    assert_error(error, INVALID, "VALIDATION_ERROR", "kind")
