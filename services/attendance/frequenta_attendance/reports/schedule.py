"""Which dates the scheduler must queue now: pure, so the rules are tested without a clock.

The report of a local day is due once the next day has reached the report hour (at the default
02:00, Tuesday's report is due from Wednesday 02:00). Every due date after the last one
scheduled is queued, so the days a stopped scheduler missed are caught up when it comes back,
within a bounded window, and never a date before the gym's first data.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SchedulePolicy:
    # Local hour from which yesterday's report is due.
    report_hour: int
    # How many of the latest due dates a returning scheduler catches up (older ones are skipped:
    # they can still be requested on demand).
    catch_up_days: int

    def __post_init__(self) -> None:
        if not 0 <= self.report_hour <= 23:
            raise ValueError("report_hour must be 0 to 23")
        if self.catch_up_days < 1:
            raise ValueError("catch_up_days must be 1 or more")


def latest_due_date(local_now: datetime, policy: SchedulePolicy) -> date:
    """The newest date whose report is due at ``local_now`` (a time in the gym's zone)."""
    today = local_now.date()
    if local_now.time() >= time(policy.report_hour):
        return today - ONE_DAY
    return today - 2 * ONE_DAY


def due_dates(
    local_now: datetime,
    policy: SchedulePolicy,
    *,
    last_scheduled: date | None,
    first_data: date | None,
) -> list[date]:
    """The dates to queue now, oldest first: after ``last_scheduled``, from ``first_data`` (the
    local date of the gym's first enrollment or entry; None: no data, nothing to report) on,
    within the ``catch_up_days`` latest due dates."""
    if first_data is None:
        return []
    latest = latest_due_date(local_now, policy)
    earliest = max(latest - (policy.catch_up_days - 1) * ONE_DAY, first_data)
    if last_scheduled is not None:
        earliest = max(earliest, last_scheduled + ONE_DAY)
    return [earliest + n * ONE_DAY for n in range((latest - earliest).days + 1)]
