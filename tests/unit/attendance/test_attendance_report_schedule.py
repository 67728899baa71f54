"""The scheduler's rules: which dates are due at a given local time, catch-up after downtime
(bounded), nothing before the gym's first data, nothing twice."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.reports.schedule import SchedulePolicy, due_dates, latest_due_date

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
POLICY = SchedulePolicy(report_hour=2, catch_up_days=31)
LONG_AGO = date(2025, 1, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SAO_PAULO)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("local_now", "latest"),
    [
        (at(date(2026, 3, 10), 1, 59), date(2026, 3, 8)),  # yesterday not due before 02:00
        (at(date(2026, 3, 10), 2, 0), date(2026, 3, 9)),  # due from 02:00 sharp
        (at(date(2026, 3, 10), 23, 59), date(2026, 3, 9)),
        (at(date(2026, 3, 1), 3), date(2026, 2, 28)),  # across a month end
        (at(date(2026, 1, 1), 0, 30), date(2025, 12, 30)),  # and a year end
    ],
)
def test_yesterday_is_due_from_the_report_hour(local_now, latest):
    assert latest_due_date(local_now, POLICY) == latest


def test_midnight_report_hour_makes_yesterday_due_all_day():
    policy = SchedulePolicy(report_hour=0, catch_up_days=31)
    assert latest_due_date(at(date(2026, 3, 10), 0, 0), policy) == date(2026, 3, 9)


def test_the_next_date_after_the_last_scheduled_one():
    due = due_dates(
        at(date(2026, 3, 10), 2, 5),
        POLICY,
        last_scheduled=date(2026, 3, 8),
        first_data=LONG_AGO,
    )
    assert due == [date(2026, 3, 9)]


def test_nothing_twice():
    due = due_dates(
        at(date(2026, 3, 10), 9), POLICY, last_scheduled=date(2026, 3, 9), first_data=LONG_AGO
    )
    assert due == []


def test_missed_days_are_caught_up_after_downtime():
    due = due_dates(
        at(date(2026, 3, 10), 9), POLICY, last_scheduled=date(2026, 3, 4), first_data=LONG_AGO
    )
    assert due == days(date(2026, 3, 5), date(2026, 3, 9))


def test_catch_up_is_bounded_to_the_latest_due_dates():
    due = due_dates(
        at(date(2026, 3, 10), 9), POLICY, last_scheduled=date(2025, 6, 1), first_data=LONG_AGO
    )
    assert due == days(date(2026, 2, 7), date(2026, 3, 9))
    assert len(due) == POLICY.catch_up_days


def test_a_first_start_schedules_from_the_first_data_within_the_window():
    first = date(2026, 3, 6)
    due = due_dates(at(date(2026, 3, 10), 9), POLICY, last_scheduled=None, first_data=first)
    assert due == days(first, date(2026, 3, 9))


def test_a_gym_without_data_or_whose_data_starts_today_has_nothing_due():
    now = at(date(2026, 3, 10), 9)
    assert due_dates(now, POLICY, last_scheduled=None, first_data=None) == []
    assert due_dates(now, POLICY, last_scheduled=None, first_data=date(2026, 3, 10)) == []


@pytest.mark.parametrize(("hour", "catch_up"), [(-1, 31), (24, 31), (2, 0)])
def test_a_policy_out_of_range_is_refused(hour, catch_up):
    with pytest.raises(ValueError):
        SchedulePolicy(report_hour=hour, catch_up_days=catch_up)
