"""The simulated history's days: local dates of the gym, where each begins in UTC, and how full
the gym is on each (holidays, Carnival, school holidays)."""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_sim.params import GYM_TIMEZONE, GymDays

US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND

# Fixed national holidays (month, day): Confraternização, Tiradentes, Trabalho, Independência,
# Aparecida, Finados, República, Consciência Negra (national since 2024), Natal.
NATIONAL_HOLIDAYS = (
    (1, 1),
    (4, 21),
    (5, 1),
    (9, 7),
    (10, 12),
    (11, 2),
    (11, 15),
    (11, 20),
    (12, 25),
)


@dataclass(frozen=True)
class Timeline:
    """Days 0..n-1 are consecutive local dates; the last one holds `until` (the history ends
    inside it). Arrays are indexed by day."""

    start: datetime  # local midnight of day 0, as an aware UTC instant
    until: datetime  # aware UTC instant; nothing happens at or after it
    dates: tuple[date, ...]
    day_start_us: np.ndarray  # int64: microseconds since the epoch (UTC) of each local midnight
    weekday: np.ndarray  # int8: 0 = Monday
    month: np.ndarray  # int8: 1..12
    season: np.ndarray  # float: how full the gym is, 1 = an ordinary day, 0 = closed

    @property
    def days(self) -> int:
        return len(self.dates)

    @property
    def until_us(self) -> int:
        return to_us(self.until)


def to_us(instant: datetime) -> int:
    """Microseconds since 1970-01-01T00:00Z of an aware instant."""
    delta = instant.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (the month's last day if it is shorter)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _season(day: date, gym: GymDays) -> float:
    if (day.month, day.day) in gym.closed_dates:
        return 0.0
    sunday = easter(day.year)
    if sunday - timedelta(days=50) <= day <= sunday - timedelta(days=46):
        return gym.carnival_factor  # Carnival Saturday to Ash Wednesday
    if (day.month, day.day) in NATIONAL_HOLIDAYS or day in (
        sunday - timedelta(days=2),  # Good Friday
        sunday + timedelta(days=60),  # Corpus Christi
    ):
        return gym.holiday_factor
    if (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1):
        return gym.year_end_factor
    if day.month == 7:
        return gym.july_factor
    if day.month == 1:
        return gym.january_factor
    return 1.0


def local_midnight_us(day: date, zone: ZoneInfo) -> int:
    """Where local midnight of `day` falls in UTC. The offset is taken at local noon: Brazil's
    old daylight-saving changes happened at midnight, and there have been none since 2019."""
    offset = datetime.combine(day, time(12), zone).utcoffset()
    assert offset is not None
    return to_us(datetime.combine(day, time(0), UTC) - offset)


def build_timeline(until: datetime, months: int, gym: GymDays) -> Timeline:
    """Local days from the day after `until - months` through the day holding `until`."""
    if until.tzinfo is None or until.utcoffset() is None:
        raise ValueError("until must be timezone-aware")
    zone = ZoneInfo(GYM_TIMEZONE)
    last = until.astimezone(zone).date()
    first = months_before(last, months) + timedelta(days=1)
    dates = tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
    starts = np.array([local_midnight_us(day, zone) for day in dates], dtype=np.int64)
    return Timeline(
        start=datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(starts[0])),
        until=until.astimezone(UTC),
        dates=dates,
        day_start_us=starts,
        weekday=np.array([day.weekday() for day in dates], dtype=np.int8),
        month=np.array([day.month for day in dates], dtype=np.int8),
        season=np.array([_season(day, gym) for day in dates], dtype=np.float64),
    )


def day_index(timeline: Timeline, day: date) -> int:
    """Index of a local date in the timeline (may fall outside 0..days-1)."""
    return (day - timeline.dates[0]).days
