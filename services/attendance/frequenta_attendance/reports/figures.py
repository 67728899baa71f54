"""The figures of a daily report: pure maths over what SQL aggregated for one local day.

SQL counts entries per quarter hour (UTC); :func:`visits_by_hour` turns those buckets into the
24 local hours with Python's time zone database, the one that also decides where the day
begins and ends. Every UTC offset in use since 1972 is a whole number of quarter hours, so a
quarter hour never straddles two local hours.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from frequenta_attendance.domain.calendar import days_range_bounds

HOURS_PER_DAY = 24
BUCKET = timedelta(minutes=15)


@dataclass(frozen=True)
class DayAggregates:
    """What the database counts for the local day [start, end)."""

    visits: int  # entries in the day
    unique_members: int  # distinct members among them
    entries_by_bucket: Mapping[datetime, int]  # UTC start of a quarter hour -> entries
    visits_by_plan: Mapping[str, int]  # plan code -> entries by members of that plan
    finished_visits: int  # entries of the day whose visit has an exit
    finished_minutes: int  # sum of the whole minutes of those visits
    new_members: int  # enrollments in the day
    cancellations: int  # cancellations in the day


@dataclass(frozen=True)
class PlanCount:
    plan_code: str
    visits: int


@dataclass(frozen=True)
class DailyReport:
    day: date
    visits: int
    unique_members: int
    visits_by_hour: tuple[int, ...]  # 24 counts; index = local hour
    visits_by_plan: tuple[PlanCount, ...]  # most visited first, then by code
    average_visit_minutes: float | None
    new_members: int
    cancellations: int
    high_risk_members: int | None  # None: churn could not say when the report was built
    generated_at: datetime


def day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds [start, end) of the local ``day`` (23 or 25 hours long on DST changes)."""
    return days_range_bounds(day, day, tz)


def local_hour(instant: datetime, tz: ZoneInfo) -> int:
    return instant.astimezone(tz).hour


def visits_by_hour(entries_by_bucket: Mapping[datetime, int], tz: ZoneInfo) -> tuple[int, ...]:
    """Entries per local hour 0..23. On the day clocks go back, both passes through the repeated
    hour count in it; on the day they go forward, the skipped hour stays 0."""
    hours: Counter[int] = Counter()
    for bucket_start, entries in entries_by_bucket.items():
        hours[local_hour(bucket_start, tz)] += entries
    return tuple(hours.get(hour, 0) for hour in range(HOURS_PER_DAY))


def average_minutes(total_minutes: int, visits: int) -> float | None:
    """Mean whole minutes of the finished visits; None when no visit of the day has an exit."""
    return total_minutes / visits if visits else None


def ranked_plans(visits_by_plan: Mapping[str, int]) -> tuple[PlanCount, ...]:
    """Plans with visits, the most visited first (ties by code)."""
    ranked = sorted(visits_by_plan.items(), key=lambda item: (-item[1], item[0]))
    return tuple(PlanCount(code, visits) for code, visits in ranked if visits > 0)


def build_report(
    day: date,
    aggregates: DayAggregates,
    *,
    tz: ZoneInfo,
    high_risk_members: int | None,
    generated_at: datetime,
) -> DailyReport:
    by_hour = visits_by_hour(aggregates.entries_by_bucket, tz)
    if sum(by_hour) != aggregates.visits:
        raise ValueError(f"hour buckets hold {sum(by_hour)} entries, the day {aggregates.visits}")
    return DailyReport(
        day=day,
        visits=aggregates.visits,
        unique_members=aggregates.unique_members,
        visits_by_hour=by_hour,
        visits_by_plan=ranked_plans(aggregates.visits_by_plan),
        average_visit_minutes=average_minutes(
            aggregates.finished_minutes, aggregates.finished_visits
        ),
        new_members=aggregates.new_members,
        cancellations=aggregates.cancellations,
        high_risk_members=high_risk_members,
        generated_at=generated_at,
    )
