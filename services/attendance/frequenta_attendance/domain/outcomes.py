"""The maths of the outcome reports (docs/alerts-and-outcomes.md): calendar months and weeks of
the gym, cohort retention shares and attrition rates. Pure: no SQL, no clock."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from frequenta_attendance.domain.calendar import week_start
from frequenta_attendance.domain.errors import invalid

MAX_MONTHS = 36
DEFAULT_MONTHS = 12
MAX_WEEKS = 52
DEFAULT_WEEKS = 8
# The same weekday in this many previous weeks, next to the day itself.
SAME_WEEKDAY_WEEKS = 4


def month_count(field: str, value: int) -> int:
    """1..36 months; 0 means the default 12."""
    if not 0 <= value <= MAX_MONTHS:
        raise invalid(field, f"{field} must be 1 to {MAX_MONTHS} (0 means {DEFAULT_MONTHS})")
    return value or DEFAULT_MONTHS


def week_count(field: str, value: int) -> int:
    """1..52 weeks; 0 means the default 8."""
    if not 0 <= value <= MAX_WEEKS:
        raise invalid(field, f"{field} must be 1 to {MAX_WEEKS} (0 means {DEFAULT_WEEKS})")
    return value or DEFAULT_WEEKS


def add_months(first_day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``first_day``'s month."""
    index = first_day.year * 12 + first_day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_months(today: date, count: int) -> list[date]:
    """The first days of the ``count`` months ending with today's, oldest first."""
    current = today.replace(day=1)
    return [add_months(current, offset) for offset in range(1 - count, 1)]


def month_label(first_day: date) -> str:
    return first_day.strftime("%Y-%m")


def share(part: int, whole: int) -> float | None:
    """part / whole; None when whole is 0."""
    return part / whole if whole else None


@dataclass(frozen=True)
class CohortCounts:
    join_month: date  # first day
    plan_code: str | None  # None: every plan
    members: int
    retained: Mapping[int, int]  # months after joining -> members still active then


def retention_shares(cohort: CohortCounts, *, months: int, today: date) -> list[float | None]:
    """Share still active after 1..months months; None until every member of the cohort has
    been a member that long (the last possible joiner, on the month's last day)."""
    next_month = add_months(cohort.join_month, 1)
    shares: list[float | None] = []
    for after in range(1, months + 1):
        reached = add_months(next_month, after) - timedelta(days=1) <= today
        shares.append(share(cohort.retained.get(after, 0), cohort.members) if reached else None)
    return shares


def all_plans(cohorts: Sequence[CohortCounts]) -> list[CohortCounts]:
    """The cohorts of every plan together, one per join month, oldest first."""
    merged: dict[date, tuple[int, dict[int, int]]] = {}
    for cohort in cohorts:
        members, retained = merged.get(cohort.join_month, (0, {}))
        for after, count in cohort.retained.items():
            retained[after] = retained.get(after, 0) + count
        merged[cohort.join_month] = (members + cohort.members, retained)
    return [
        CohortCounts(month, None, members, retained)
        for month, (members, retained) in sorted(merged.items())
    ]


@dataclass(frozen=True)
class DayRange:
    """Local days ``first`` to ``last`` inclusive."""

    first: date
    last: date


def trend_weeks(until: date, weeks: int) -> list[DayRange]:
    """``weeks`` Monday-to-Sunday weeks, oldest first, the last one cut at ``until``."""
    monday = week_start(until)
    return [
        DayRange(start, min(start + timedelta(days=6), until))
        for start in (monday - timedelta(weeks=back) for back in range(weeks - 1, -1, -1))
    ]


def same_weekdays(until: date) -> list[DayRange]:
    """``until`` itself, then the same weekday 1 to 4 weeks before."""
    return [
        DayRange(day, day)
        for day in (until - timedelta(weeks=back) for back in range(SAME_WEEKDAY_WEEKS + 1))
    ]
