"""Attendance figures of one member (docs/rules.md, "Attendance summary"): pure maths over the
member's visits, in the gym's local calendar."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from frequenta_attendance.domain.calendar import local_date, week_start
from frequenta_attendance.domain.visits import duration_minutes

RECENT_WINDOW = timedelta(days=28)
RECENT_WEEKS = 4


class VisitTimes(Protocol):
    @property
    def entered_at(self) -> datetime: ...
    @property
    def exited_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class WeeklyCount:
    week_start: date  # a Monday
    visits: int


@dataclass(frozen=True)
class AttendanceSummary:
    total_visits: int
    visits_per_week_last_4_weeks: float
    days_since_last_visit: int | None
    average_visit_minutes: float | None
    last_visit_at: datetime | None
    weekly: list[WeeklyCount]
    as_of: datetime


def visits_per_week(entries: Sequence[datetime], *, now: datetime) -> float:
    """Visits whose entry is in the last 28 days, divided by 4."""
    since = now - RECENT_WINDOW
    return sum(1 for entered_at in entries if entered_at > since) / RECENT_WEEKS


def days_since(last_entry: datetime | None, *, now: datetime, tz: ZoneInfo) -> int | None:
    """Local days between the last entry and today; None if the member never came."""
    if last_entry is None:
        return None
    return max(0, (local_date(now, tz) - local_date(last_entry, tz)).days)


def average_minutes(visits: Sequence[VisitTimes]) -> float | None:
    """Mean duration of the visits with an exit; None if there is none."""
    durations = [
        minutes
        for visit in visits
        if (minutes := duration_minutes(visit.entered_at, visit.exited_at)) is not None
    ]
    if not durations:
        return None
    return sum(durations) / len(durations)


def weekly_series(
    entries: Sequence[datetime], *, first_day: date, last_day: date, tz: ZoneInfo
) -> list[WeeklyCount]:
    """Visits per local week (Monday to Sunday) for every week that meets the range, oldest first,
    weeks without visits included. Each bucket counts its whole week."""
    counts = Counter(week_start(local_date(entered_at, tz)) for entered_at in entries)
    weeks = []
    monday = week_start(first_day)
    while monday <= last_day:
        weeks.append(WeeklyCount(monday, counts.get(monday, 0)))
        monday += timedelta(weeks=1)
    return weeks


def summarize(
    visits: Sequence[VisitTimes],
    *,
    now: datetime,
    tz: ZoneInfo,
    first_day: date,
    last_day: date,
) -> AttendanceSummary:
    """The summary as of ``now`` from all the member's visits; the weekly series covers the
    local days ``first_day`` to ``last_day``."""
    entries = [visit.entered_at for visit in visits]
    last_entry = max(entries, default=None)
    return AttendanceSummary(
        total_visits=len(entries),
        visits_per_week_last_4_weeks=visits_per_week(entries, now=now),
        days_since_last_visit=days_since(last_entry, now=now, tz=tz),
        average_visit_minutes=average_minutes(visits),
        last_visit_at=last_entry,
        weekly=weekly_series(entries, first_day=first_day, last_day=last_day, tz=tz),
        as_of=now,
    )
