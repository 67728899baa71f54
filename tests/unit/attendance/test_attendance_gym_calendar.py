"""The gym's local calendar: days and Monday-to-Sunday weeks in its time zone, including days
whose midnight does not exist (daylight saving time), and the default range of GetAttendance."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from frequenta_attendance.domain.calendar import (
    day_start,
    days_range_bounds,
    local_date,
    week_start,
)
from frequenta_attendance.handlers.attendance import resolve_range
from frequenta_kit.errors import InvalidInput

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (datetime(2026, 3, 2, 2, 59, tzinfo=UTC), date(2026, 3, 1)),  # 23:59 the day before
        (datetime(2026, 3, 2, 3, 0, tzinfo=UTC), date(2026, 3, 2)),  # local midnight
        (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2027, 1, 1, 2, 59, tzinfo=UTC), date(2026, 12, 31)),  # still New Year's Eve
    ],
)
def test_local_date_in_the_gym_time_zone(instant, day):
    assert local_date(instant, SAO_PAULO) == day


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 3, 2), date(2026, 3, 2)),  # a Monday
        (date(2026, 3, 8), date(2026, 3, 2)),  # the Sunday closing that week
        (date(2026, 3, 9), date(2026, 3, 9)),
        (date(2026, 1, 1), date(2025, 12, 29)),  # weeks cross years
    ],
)
def test_weeks_start_on_monday(day, monday):
    assert week_start(day) == monday


def test_a_day_starts_at_local_midnight():
    assert day_start(date(2026, 3, 2), SAO_PAULO) == datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def test_a_day_without_midnight_starts_when_its_clocks_jump():
    # Sao Paulo, 2018-11-04: clocks jumped from 00:00 (-03) to 01:00 (-02).
    start = day_start(date(2018, 11, 4), SAO_PAULO)
    assert start == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert local_date(start, SAO_PAULO) == date(2018, 11, 4)
    assert local_date(start - timedelta(microseconds=1), SAO_PAULO) == date(2018, 11, 3)
    # That day lasted 23 hours.
    _, end = days_range_bounds(date(2018, 11, 4), date(2018, 11, 4), SAO_PAULO)
    assert end - start == timedelta(hours=23)


def test_range_bounds_cover_whole_local_days():
    start, end = days_range_bounds(date(2026, 3, 1), date(2026, 3, 7), SAO_PAULO)
    assert (start, end) == (
        datetime(2026, 3, 1, 3, 0, tzinfo=UTC),
        datetime(2026, 3, 8, 3, 0, tzinfo=UTC),
    )


def test_the_default_range_is_the_last_twelve_weeks():
    assert resolve_range("", "", today=date(2026, 3, 4)) == (date(2025, 12, 11), date(2026, 3, 4))
    first, last = resolve_range("", "2026-01-31", today=date(2026, 3, 4))
    assert (last - first).days + 1 == 84
    assert resolve_range("2026-01-01", "", today=date(2026, 3, 4)) == (
        date(2026, 1, 1),
        date(2026, 3, 4),
    )


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("2026-03-05", "2026-03-04", "from_date"),
        ("2020-01-01", "2026-01-01", "from_date"),
        ("2026-3-1", "", "from_date"),
        ("", "tomorrow", "to_date"),
    ],
)
def test_bad_ranges(first, last, field):
    with pytest.raises(InvalidInput) as error:
        resolve_range(first, last, today=date(2026, 3, 4))
    assert error.value.field == field
