"""A member's attendance: visits in a local date range plus the summary as of now."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, validation
from frequenta_attendance.domain.calendar import days_range_bounds, local_date
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.models import Visit
from frequenta_attendance.summary import AttendanceSummary, summarize
from frequenta_attendance.uow import UnitOfWork

# "The last 12 weeks": 84 local days ending on the last day of the range.
DEFAULT_RANGE = timedelta(weeks=12)
# Longest range one request may ask for (keeps the weekly series bounded).
MAX_RANGE = timedelta(days=5 * 366)


@dataclass(frozen=True)
class Attendance:
    member_id: int
    summary: AttendanceSummary
    visits: Sequence[Visit]  # the requested page, newest first
    total_in_range: int
    first_day: date
    last_day: date


def resolve_range(from_date: str, to_date: str, *, today: date) -> tuple[date, date]:
    """The local date range asked for, with the defaults filled in."""
    last = validation.range_date("to_date", to_date) or today
    first = validation.range_date("from_date", from_date) or last - DEFAULT_RANGE + timedelta(
        days=1
    )
    if first > last:
        raise errors.invalid("from_date", "from_date is after to_date")
    if last - first >= MAX_RANGE:
        raise errors.invalid("from_date", f"the range is longer than {MAX_RANGE.days} days")
    return first, last


async def get_attendance(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    member_id: int,
    from_date: str,
    to_date: str,
    page: int,
    page_size: int,
) -> Attendance:
    validation.entity_id("member_id", member_id)
    now = clock()
    first, last = resolve_range(from_date, to_date, today=local_date(now, rules.tz))
    selected = validation.page(page, page_size)
    start, end = days_range_bounds(first, last, rules.tz)
    async with uow:
        if await uow.members.get(member_id) is None:
            raise errors.member_not_found(member_id)
        every_visit = await uow.visits.times_of_member(member_id)
        visits, total = await uow.visits.page_in_range(
            member_id, start=start, end=end, page=selected
        )
    summary = summarize(every_visit, now=now, tz=rules.tz, first_day=first, last_day=last)
    return Attendance(member_id, summary, visits, total, first, last)
