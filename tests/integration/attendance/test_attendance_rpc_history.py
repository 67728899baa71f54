"""GetAttendance over gRPC on real PostgreSQL: the visit list of a local date range and the
summary of docs/rules.md, "Attendance summary"."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest
from attendance_support import ago, assert_error, now, rpc_error, ts

from frequenta.attendance.v1 import attendance_pb2 as pb

GYM = ZoneInfo("America/Sao_Paulo")  # the tests' server setting


async def record(attendance, member_id: int, entered: datetime, minutes: float | None) -> pb.Visit:
    request = pb.RecordCheckInRequest(member_id=member_id, entered_at=ts(entered))
    if minutes is not None:
        request.exited_at.CopyFrom(ts(entered + timedelta(minutes=minutes)))
    return (await attendance.RecordCheckIn(request)).visit


@pytest.fixture
async def regular(attendance, register_member):
    """A member with six visits: four in the last 28 days (one a forgotten check-out), one 40
    days ago and one 100 days ago (outside the default 12-week range)."""
    member = await register_member()
    plan = [(2, 60), (10, 45.5), (20, None), (27, 90), (40, 30), (100, 120)]
    visits = [await record(attendance, member.id, ago(days=d), m) for d, m in plan]
    return member, visits


async def test_summary_and_default_range(attendance, regular):
    member, visits = regular
    today = now().astimezone(GYM).date()
    response = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    summary = response.summary

    assert response.member_id == member.id
    assert summary.total_visits == 6
    assert summary.visits_per_week_last_4_weeks == 1.0  # 4 visits / 4 weeks
    assert summary.days_since_last_visit == 2
    assert summary.average_visit_minutes == pytest.approx((60 + 45 + 90 + 30 + 120) / 5)
    assert summary.last_visit_at == visits[0].entered_at
    assert abs(summary.as_of.ToDatetime(tzinfo=UTC) - now()) < timedelta(seconds=30)

    assert response.to_date == today.isoformat()
    assert response.from_date == (today - timedelta(days=83)).isoformat()  # 12 weeks inclusive
    assert response.total_in_range == 5
    assert [v.id for v in response.visits] == [v.id for v in visits[:5]]  # newest first


async def test_weekly_series_runs_monday_to_sunday_with_empty_weeks(attendance, regular):
    member, visits = regular
    response = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    weeks = [date.fromisoformat(w.week_start) for w in response.summary.weekly]
    first, last = date.fromisoformat(response.from_date), date.fromisoformat(response.to_date)

    assert all(week.weekday() == 0 for week in weeks)
    assert all(b - a == timedelta(days=7) for a, b in zip(weeks, weeks[1:], strict=False))
    assert weeks[0] <= first < weeks[0] + timedelta(days=7)
    assert weeks[-1] <= last < weeks[-1] + timedelta(days=7)
    counts = {date.fromisoformat(w.week_start): w.visits for w in response.summary.weekly}
    expected = {week: 0 for week in weeks}
    for visit in visits[:5]:
        local = visit.entered_at.ToDatetime(tzinfo=UTC).astimezone(GYM).date()
        expected[local - timedelta(days=local.weekday())] += 1
    assert counts == expected
    assert 0 in counts.values()


async def test_pages_of_the_visit_list(attendance, regular):
    member, visits = regular
    page = await attendance.GetAttendance(
        pb.GetAttendanceRequest(member_id=member.id, page=2, page_size=2)
    )
    assert [v.id for v in page.visits] == [visits[2].id, visits[3].id]
    assert page.total_in_range == 5
    forgotten = page.visits[0]
    assert not forgotten.HasField("exited_at") and not forgotten.HasField("duration_minutes")
    beyond = await attendance.GetAttendance(
        pb.GetAttendanceRequest(member_id=member.id, page=9, page_size=2)
    )
    assert (list(beyond.visits), beyond.total_in_range) == ([], 5)


async def test_an_explicit_range_in_local_dates(attendance, regular):
    member, visits = regular
    oldest = visits[5].entered_at.ToDatetime(tzinfo=UTC).astimezone(GYM).date()
    response = await attendance.GetAttendance(
        pb.GetAttendanceRequest(
            member_id=member.id, from_date=oldest.isoformat(), to_date=oldest.isoformat()
        )
    )
    assert [v.id for v in response.visits] == [visits[5].id]
    assert [(w.week_start, w.visits) for w in response.summary.weekly] == [
        ((oldest - timedelta(days=oldest.weekday())).isoformat(), 1)
    ]
    assert response.summary.total_visits == 6  # the summary is about all time


async def test_days_and_weeks_are_those_of_the_gym(attendance, register_member):
    member = await register_member()
    # Monday 2026-03-02 02:30 UTC is still Sunday 2026-03-01 23:30 in Sao Paulo.
    late_sunday = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    await record(attendance, member.id, late_sunday, 60)

    async def attendance_on(first: str, last: str) -> pb.GetAttendanceResponse:
        return await attendance.GetAttendance(
            pb.GetAttendanceRequest(member_id=member.id, from_date=first, to_date=last)
        )

    sunday = await attendance_on("2026-03-01", "2026-03-01")
    assert sunday.total_in_range == 1
    assert [(w.week_start, w.visits) for w in sunday.summary.weekly] == [("2026-02-23", 1)]
    monday = await attendance_on("2026-03-02", "2026-03-02")
    assert monday.total_in_range == 0
    fortnight = await attendance_on("2026-02-23", "2026-03-08")
    assert [(w.week_start, w.visits) for w in fortnight.summary.weekly] == [
        ("2026-02-23", 1),
        ("2026-03-02", 0),
    ]


async def test_a_member_who_never_came(attendance, register_member):
    member = await register_member()
    response = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))
    summary = response.summary
    assert (summary.total_visits, summary.visits_per_week_last_4_weeks) == (0, 0.0)
    assert not summary.HasField("days_since_last_visit")
    assert not summary.HasField("average_visit_minutes")
    assert not summary.HasField("last_visit_at")
    assert len(summary.weekly) in (12, 13) and all(w.visits == 0 for w in summary.weekly)
    assert (list(response.visits), response.total_in_range) == ([], 0)


async def test_attendance_of_an_unknown_member(attendance):
    error = await rpc_error(attendance.GetAttendance(pb.GetAttendanceRequest(member_id=987_654)))
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"member_id": 0}, "member_id"),
        ({"from_date": "2026/01/01"}, "from_date"),
        ({"to_date": "2026-13-01"}, "to_date"),
        ({"from_date": "2026-02-01", "to_date": "2026-01-31"}, "from_date"),
        ({"from_date": "2010-01-01", "to_date": "2026-01-01"}, "from_date"),
        ({"page_size": 201}, "page_size"),
        ({"page": -2}, "page"),
        # Found by fuzzing: the default range before 0001-01-01, or the day after 9999-12-31,
        # overflowed (a 500).
        ({"to_date": "0001-01-01"}, "to_date"),
        ({"to_date": "9999-12-31"}, "to_date"),
        ({"from_date": "9999-12-30"}, "from_date"),
        ({"from_date": "1969-12-31"}, "from_date"),
    ],
)
async def test_bad_attendance_requests(attendance, register_member, fields, field):
    member = await register_member()
    request = pb.GetAttendanceRequest(member_id=member.id)
    for name, value in fields.items():
        setattr(request, name, value)
    error = await rpc_error(attendance.GetAttendance(request))
    assert_error(error, grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR", field)
