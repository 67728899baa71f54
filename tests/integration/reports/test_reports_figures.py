"""The report of a seeded day holds exactly the figures this test computes, by itself, from the
members, visits and cancellations it recorded through the real service; so do the days around
it (midnight boundaries from both sides); building a date again replaces its report; a build
message delivered twice changes nothing the second time; a day of daylight saving time change.

Dates owned by this module: 2026-02-26 to 2026-03-05 and 2026-03-06 to 2026-03-10 (New York).
"""

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from reports_support import SAO_PAULO, deliver, local, report_messages, ts
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.reports.handlers import get_report, request_report
from frequenta_attendance.reports.mappers import daily_report
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_session_factory

DAY = date(2026, 3, 2)
NEW_YORK = ZoneInfo("America/New_York")
DST_DAY = date(2026, 3, 8)  # New York springs forward at 02:00: a 23-hour day
MICROSECOND = timedelta(microseconds=1)


@dataclass
class Gym:
    """What the test recorded, as it recorded it."""

    plan_of: dict[int, str] = field(default_factory=dict)
    enrollments: list[datetime] = field(default_factory=list)
    cancellations: list[datetime] = field(default_factory=list)
    visits: list[tuple[int, datetime, datetime | None]] = field(default_factory=list)


class Recorder:
    def __init__(self, stub, plans: dict[str, int], gym: Gym) -> None:
        self.stub, self.plans, self.gym = stub, plans, gym

    async def member(self, plan: str, enrolled_at: datetime) -> int:
        request = pb.RegisterMemberRequest(
            name="Report Member",
            email=f"report-{len(self.gym.plan_of)}-{random.getrandbits(48):x}@example.com",
            plan_id=self.plans[plan],
            enrolled_at=ts(enrolled_at),
        )
        member = (await self.stub.RegisterMember(request)).member
        self.gym.plan_of[member.id] = plan
        self.gym.enrollments.append(enrolled_at)
        return member.id

    async def visit(self, member: int, entered: datetime, exited: datetime | None = None) -> None:
        request = pb.RecordCheckInRequest(member_id=member, entered_at=ts(entered))
        if exited is not None:
            request.exited_at.CopyFrom(ts(exited))
        await self.stub.RecordCheckIn(request)
        self.gym.visits.append((member, entered, exited))

    async def cancel(self, member: int, cancelled_at: datetime) -> None:
        await self.stub.CancelMembership(
            pb.CancelMembershipRequest(
                member_id=member, cancelled_at=ts(cancelled_at), reason=pb.CANCELLATION_REASON_PRICE
            )
        )
        self.gym.cancellations.append(cancelled_at)


@dataclass(frozen=True)
class Expected:
    visits: int
    unique_members: int
    by_hour: list[int]
    by_plan: dict[str, int]
    average: float | None
    new_members: int
    cancellations: int


def expected(gym: Gym, day: date, tz: ZoneInfo) -> Expected:
    """The figures of ``day``, straight from the recorded data."""

    def on_day(instant: datetime) -> bool:
        return instant.astimezone(tz).date() == day

    visits = [
        (member, entered, exited) for member, entered, exited in gym.visits if on_day(entered)
    ]
    by_hour = [0] * 24
    for _, entered, _ in visits:
        by_hour[entered.astimezone(tz).hour] += 1
    minutes = [
        math.floor((exited - entered).total_seconds() / 60)
        for _, entered, exited in visits
        if exited is not None
    ]
    return Expected(
        visits=len(visits),
        unique_members=len({member for member, _, _ in visits}),
        by_hour=by_hour,
        by_plan=dict(Counter(gym.plan_of[member] for member, _, _ in visits)),
        average=sum(minutes) / len(minutes) if minutes else None,
        new_members=sum(on_day(instant) for instant in gym.enrollments),
        cancellations=sum(on_day(instant) for instant in gym.cancellations),
    )


def assert_report(report: pb.DailyReport, want: Expected, day: date) -> None:
    assert report.date == day.isoformat()
    assert (report.visits, report.unique_members) == (want.visits, want.unique_members)
    assert [count.hour for count in report.by_hour] == list(range(24))
    assert [count.visits for count in report.by_hour] == want.by_hour
    assert {count.plan_code: count.visits for count in report.by_plan} == want.by_plan
    assert [count.visits for count in report.by_plan] == sorted(want.by_plan.values(), reverse=True)
    if want.average is None:
        assert not report.HasField("average_visit_minutes")
    else:
        assert report.average_visit_minutes == want.average
    assert (report.new_members, report.cancellations) == (want.new_members, want.cancellations)
    assert not report.HasField("high_risk_members")  # no churn here: unknown


@pytest.fixture(scope="module")
async def plans(reports) -> dict[str, int]:
    listed = await reports.ListPlans(pb.ListPlansRequest())
    return {plan.code: plan.id for plan in listed.plans}


@pytest.fixture(scope="module")
async def gym(reports, plans) -> Gym:
    """About 30 members around DAY with random visits (seeded), plus members and visits placed
    on the local midnights on either side of DAY."""
    rng = random.Random(20260302)
    gym = Gym()
    record = Recorder(reports, plans, gym)
    first, last = local(DAY - timedelta(days=2)), local(DAY + timedelta(days=2))
    for _ in range(30):
        enrolled = first + timedelta(seconds=rng.uniform(0, 2.5 * 86400))
        member = await record.member(rng.choice(sorted(plans)), enrolled)
        moment = enrolled + timedelta(minutes=rng.uniform(5, 600))
        while moment < last - timedelta(hours=8):
            exited = None
            if rng.random() < 0.8:
                exited = moment + timedelta(
                    seconds=rng.randint(10 * 60, 150 * 60), microseconds=rng.randint(0, 999_999)
                )
            await record.visit(member, moment, exited)
            moment = (exited or moment) + timedelta(minutes=rng.uniform(20, 14 * 60))
        if rng.random() < 0.3:
            await record.cancel(member, moment)

    # Local midnights: entries, enrollments and cancellations a microsecond either side.
    start, end = local(DAY), local(DAY + timedelta(days=1))
    edge = await record.member("anual", start - timedelta(days=10))
    await record.visit(edge, start - MICROSECOND)  # the day before, no exit
    await record.visit(edge, start, start + timedelta(minutes=30, seconds=59))  # 00:00:00
    await record.visit(edge, end - timedelta(minutes=30), end + timedelta(minutes=20))  # crosses
    later = await record.member("anual", start - timedelta(days=10))
    await record.visit(later, end - MICROSECOND)  # 23:59:59.999999, no exit
    await record.visit(later, end, end + timedelta(hours=1))  # the day after
    for instant in (start - MICROSECOND, start, end - MICROSECOND, end):
        await record.member("trimestral", instant)
        cancelled = await record.member("semestral", start - timedelta(days=20))
        await record.cancel(cancelled, instant)
    return gym


async def build(reports, settings, engine, day: date) -> pb.GenerateDailyReportResponse:
    queued = await reports.GenerateDailyReport(pb.GenerateDailyReportRequest(date=day.isoformat()))
    (message,) = await report_messages(engine, queued.job_id)
    await deliver(settings, engine, message)
    return queued


@pytest.mark.parametrize("offset", [-1, 0, 1])
async def test_the_report_of_a_seeded_day_is_exactly_right(
    reports, reports_settings, reports_engine, gym, offset
):
    day = DAY + timedelta(days=offset)
    want = expected(gym, day, SAO_PAULO)
    assert want.visits > 5 and want.average is not None, "the seed gives the day some visits"
    await build(reports, reports_settings, reports_engine, day)
    found = await reports.GetDailyReport(pb.GetDailyReportRequest(date=day.isoformat()))
    assert_report(found.report, want, day)


async def test_the_midnight_edges_count_on_their_own_side(gym):
    want = expected(gym, DAY, SAO_PAULO)
    before = expected(gym, DAY - timedelta(days=1), SAO_PAULO)
    # Sanity of the seed itself: its edge rows fall where the day's bounds say.
    assert want.by_hour[0] >= 1 and want.by_hour[23] >= 1 and before.by_hour[23] >= 1
    assert want.new_members >= 2 and want.cancellations >= 2


async def test_building_a_date_again_replaces_its_report(
    reports, reports_settings, reports_engine, gym, plans
):
    day = DAY + timedelta(days=2)
    first = await build(reports, reports_settings, reports_engine, day)
    before = (await reports.GetDailyReport(pb.GetDailyReportRequest(date=day.isoformat()))).report
    assert_report(before, expected(gym, day, SAO_PAULO), day)

    # One more member and one more visit that day, recorded late.
    record = Recorder(reports, plans, gym)
    member = await record.member("mensal", local(day, 6))
    await record.visit(member, local(day, 7, 15), local(day, 8, 0, 30))
    second = await build(reports, reports_settings, reports_engine, day)

    after = (await reports.GetDailyReport(pb.GetDailyReportRequest(date=day.isoformat()))).report
    assert_report(after, expected(gym, day, SAO_PAULO), day)
    assert after.visits == before.visits + 1
    assert after.new_members == before.new_members + 1
    assert after.generated_at.ToDatetime() > before.generated_at.ToDatetime()
    async with reports_engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT job_id::text FROM relatorios_diarios WHERE data = :day"),
                {"day": day},
            )
        ).all()
        finished = (
            await connection.execute(
                text(
                    "SELECT id::text FROM report_jobs"
                    " WHERE report_date = :day AND finished_at IS NOT NULL"
                ),
                {"day": day},
            )
        ).scalars()
    assert rows == [(second.job_id,)]
    assert set(finished) == {first.job_id, second.job_id}


async def test_a_build_message_delivered_twice_changes_nothing_the_second_time(
    reports, reports_settings, reports_engine, gym, plans
):
    day = DAY + timedelta(days=3)
    queued = await build(reports, reports_settings, reports_engine, day)
    before = (await reports.GetDailyReport(pb.GetDailyReportRequest(date=day.isoformat()))).report
    record = Recorder(reports, plans, gym)
    member = await record.member("mensal", local(day, 6))
    await record.visit(member, local(day, 9), local(day, 10))

    (message,) = await report_messages(reports_engine, queued.job_id)
    await deliver(reports_settings, reports_engine, message, delivery_count=1)
    again = (await reports.GetDailyReport(pb.GetDailyReportRequest(date=day.isoformat()))).report
    assert again == before  # the job was done: the redelivery is acknowledged, nothing rebuilt


async def test_a_day_when_clocks_spring_forward(reports, reports_settings, reports_engine, plans):
    """New York, 2026-03-08: 23 hours long, no 02:00 hour."""
    gym = Gym()
    record = Recorder(reports, plans, gym)
    start = local(DST_DAY, tz=NEW_YORK)
    end = local(DST_DAY + timedelta(days=1), tz=NEW_YORK)
    assert end - start == timedelta(hours=23)
    member = await record.member("mensal", start - timedelta(days=2))
    other = await record.member("anual", start - timedelta(days=1))
    await record.member("trimestral", local(DST_DAY, 3, 30, tz=NEW_YORK))  # new that day
    entries = [
        start - MICROSECOND,  # 23:59:59.999999 the day before
        start,  # 00:00 EST
        local(DST_DAY, 1, 59, 59, tz=NEW_YORK),  # the last second before the jump
        local(DST_DAY, 3, 0, 0, tz=NEW_YORK),  # the next instant on the clock: 03:00 EDT
        end - MICROSECOND,  # 23:59:59.999999 EDT
        end,  # the day after
    ]
    for n, entered in enumerate(entries):
        await record.visit(
            member if n % 2 == 0 else other, entered, entered + timedelta(minutes=45)
        )
    settings = reports_settings.model_copy(update={"gym_timezone": "America/New_York"})

    # Queue and build through the use cases with the New York calendar.
    sessions = create_session_factory(reports_engine)
    queued = await request_report(
        uow=SqlAlchemyUnitOfWork(sessions),
        clock=lambda: end + timedelta(days=1),
        rules=gym_rules(settings),
        day_text=DST_DAY.isoformat(),
    )
    (message,) = await report_messages(reports_engine, str(queued.job_id))
    await deliver(settings, reports_engine, message)
    report = await get_report(uow=SqlAlchemyUnitOfWork(sessions), day_text=DST_DAY.isoformat())

    want = expected(gym, DST_DAY, NEW_YORK)
    assert_report(daily_report(report), want, DST_DAY)
    assert (want.visits, want.new_members) == (4, 1)
    assert want.by_hour[2] == 0 and want.by_hour[1] == 1 and want.by_hour[3] == 1
