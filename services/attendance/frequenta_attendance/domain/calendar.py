"""Local calendar of the gym: which local day and week an instant falls in, and back."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    return instant.astimezone(tz).date()


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the local ``day`` begins (the transition instant if local
    midnight does not exist that day because of daylight saving time)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


def days_range_bounds(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of the local days ``first`` to ``last`` inclusive."""
    return day_start(first, tz), day_start(last + timedelta(days=1), tz)
