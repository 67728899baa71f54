"""Summary maths: visits per week over the last 28 days, local days since the last visit,
average duration, and the Monday-to-Sunday weekly series."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.summary import (
    WeeklyCount,
    average_minutes,
    days_since,
    summarize,
    visits_per_week,
    weekly_series,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# Wednesday 2026-03-04, 12:00 in Sao Paulo.
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@dataclass
class Times:
    entered_at: datetime
    exited_at: datetime | None = None


def test_visits_per_week_counts_entries_of_the_last_28_days():
    entries = [
        NOW,
        NOW - 27 * DAY,
        NOW - 28 * DAY + timedelta(seconds=1),  # still inside
        NOW - 28 * DAY,  # exactly 28 days ago: outside
        NOW - 60 * DAY,
    ]
    assert visits_per_week(entries, now=NOW) == 3 / 4
    assert visits_per_week([], now=NOW) == 0.0


def test_days_since_the_last_visit_are_local_calendar_days():
    assert days_since(None, now=NOW, tz=SAO_PAULO) is None
    assert days_since(NOW - timedelta(hours=1), now=NOW, tz=SAO_PAULO) == 0
    # 2026-03-04 02:30 UTC is 2026-03-03 23:30 in Sao Paulo: yesterday, though 12.5 hours ago.
    assert days_since(datetime(2026, 3, 4, 2, 30, tzinfo=UTC), now=NOW, tz=SAO_PAULO) == 1
    # 2026-03-04 03:00 UTC is local midnight: today.
    assert days_since(datetime(2026, 3, 4, 3, 0, tzinfo=UTC), now=NOW, tz=SAO_PAULO) == 0
    assert days_since(NOW - 10 * DAY, now=NOW, tz=SAO_PAULO) == 10
    # An entry a little in the future (within the clock skew) is not negative days ago.
    late = datetime(2026, 3, 5, 3, 1, tzinfo=UTC)
    assert days_since(late, now=datetime(2026, 3, 5, 2, 58, tzinfo=UTC), tz=SAO_PAULO) == 0


def test_average_duration_ignores_visits_without_exit():
    visits = [
        Times(NOW - 3 * DAY, NOW - 3 * DAY + timedelta(minutes=60, seconds=59)),  # 60
        Times(NOW - 2 * DAY, NOW - 2 * DAY + timedelta(minutes=45)),  # 45
        Times(NOW - DAY),  # forgotten check-out
        Times(NOW - timedelta(minutes=10)),  # open
    ]
    assert average_minutes(visits) == 52.5
    assert average_minutes([Times(NOW)]) is None
    assert average_minutes([]) is None


def test_weekly_series_has_every_week_of_the_range_with_zeros():
    entries = [
        datetime(2026, 2, 16, 12, tzinfo=UTC),  # week of 02-16
        datetime(2026, 2, 17, 12, tzinfo=UTC),  # week of 02-16
        datetime(2026, 3, 2, 2, 30, tzinfo=UTC),  # Sunday 03-01 23:30 local: week of 02-23
        datetime(2026, 3, 2, 3, 0, tzinfo=UTC),  # Monday 03-02 00:00 local: week of 03-02
        datetime(2026, 1, 5, 12, tzinfo=UTC),  # before the range
    ]
    series = weekly_series(
        entries, first_day=date(2026, 2, 18), last_day=date(2026, 3, 4), tz=SAO_PAULO
    )
    assert series == [
        WeeklyCount(date(2026, 2, 16), 2),  # the whole week of the range's first day
        WeeklyCount(date(2026, 2, 23), 1),
        WeeklyCount(date(2026, 3, 2), 1),
    ]


def test_weekly_series_of_a_single_sunday_is_one_week():
    series = weekly_series([], first_day=date(2026, 3, 8), last_day=date(2026, 3, 8), tz=SAO_PAULO)
    assert series == [WeeklyCount(date(2026, 3, 2), 0)]


def test_twelve_weeks_ending_on_a_sunday_are_twelve_buckets():
    series = weekly_series(
        [], first_day=date(2025, 12, 15), last_day=date(2026, 3, 8), tz=SAO_PAULO
    )
    assert len(series) == 12
    assert [w.week_start.weekday() for w in series] == [0] * 12


def test_summarize_puts_it_together():
    visits = [
        Times(NOW - 2 * DAY, NOW - 2 * DAY + timedelta(minutes=50)),
        Times(NOW - 9 * DAY),  # forgotten
        Times(NOW - 40 * DAY, NOW - 40 * DAY + timedelta(minutes=70)),
    ]
    summary = summarize(
        visits, now=NOW, tz=SAO_PAULO, first_day=date(2026, 2, 23), last_day=date(2026, 3, 4)
    )
    assert summary.total_visits == 3
    assert summary.visits_per_week_last_4_weeks == pytest.approx(0.5)
    assert summary.days_since_last_visit == 2
    assert summary.average_visit_minutes == 60.0
    assert summary.last_visit_at == NOW - 2 * DAY
    assert summary.weekly == [WeeklyCount(date(2026, 2, 23), 1), WeeklyCount(date(2026, 3, 2), 1)]
    assert summary.as_of == NOW


def test_summary_of_no_visits():
    summary = summarize(
        [], now=NOW, tz=SAO_PAULO, first_day=date(2026, 3, 2), last_day=date(2026, 3, 4)
    )
    assert (summary.total_visits, summary.visits_per_week_last_4_weeks) == (0, 0.0)
    assert summary.days_since_last_visit is None
    assert summary.average_visit_minutes is None
    assert summary.last_visit_at is None
    assert summary.weekly == [WeeklyCount(date(2026, 3, 2), 0)]
