"""Use cases of daily reports: queue a build (on demand, or due by the schedule), build one,
read them.

A build is queued by writing its job row and its work message (through the outbox) in one
transaction: the job exists if and only if its message will be published.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, validation
from frequenta_attendance.domain.calendar import local_date
from frequenta_attendance.domain.report_jobs import ReportOrigin
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.models import ReportJob
from frequenta_attendance.reports import messages
from frequenta_attendance.reports.figures import DailyReport, build_report, day_bounds
from frequenta_attendance.reports.schedule import SchedulePolicy, due_dates
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)

# ListDailyReports: the default range ends today and starts this long before; at most MAX_RANGE.
DEFAULT_RANGE = timedelta(days=30)
MAX_RANGE = timedelta(days=366)
EARLIEST_DATE = validation.EARLIEST_DATE

# How many active members are at high risk now; None when that cannot be known (churn
# unreachable, or no model trained yet). The worker asks churn (reports/churn_risk.py).
HighRiskCounter = Callable[[], Awaitable[int | None]]


async def no_churn_yet() -> int | None:
    """For a deployment without the churn service (and tests): the count is unknown."""
    return None


@dataclass(frozen=True)
class QueuedBuild:
    job_id: uuid.UUID
    day: date


class UnknownJob(Exception):
    """A build message names a job this database never queued (or another date than it)."""


def _queue(uow: UnitOfWork, job: ReportJob) -> None:
    body = messages.encode(messages.BuildRequest(job.id, job.day))
    uow.outbox.add_work(
        messages.QUEUE,
        body,
        job.id,
        message_type=messages.MESSAGE_TYPE,
        content_type=messages.CONTENT_TYPE,
    )


def report_date(field: str, value: str) -> date:
    """A required local date."""
    day = validation.iso_date(field, value)
    if day is None:
        raise errors.invalid(field, f"{field} is required (YYYY-MM-DD)")
    return _not_too_early(field, day)


def _not_too_early(field: str, day: date) -> date:
    if day < EARLIEST_DATE:
        raise errors.invalid(field, f"{field} must be {EARLIEST_DATE.isoformat()} or later")
    return day


async def request_report(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, day_text: str
) -> QueuedBuild:
    """Queue the build of the local date ``day_text`` (empty: yesterday). Today is allowed (a
    report of the day so far, replaced when the schedule builds it after midnight); a later date
    is refused."""
    now = clock()
    today = local_date(now, rules.tz)
    day = validation.iso_date("date", day_text) or today - timedelta(days=1)
    _not_too_early("date", day)
    if day > today:
        raise errors.report_date_in_future(day, today)
    job = ReportJob(id=uuid.uuid4(), day=day, origin=ReportOrigin.ON_DEMAND, requested_at=now)
    async with uow:
        uow.reports.add_job(job)
        _queue(uow, job)
        await uow.commit()
    log.info("daily report of %s queued on demand (job %s)", day, job.id)
    return QueuedBuild(job.id, day)


async def schedule_due_reports(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, policy: SchedulePolicy
) -> list[date]:
    """Queue every report due now that no scheduler queued yet; the dates queued. Replicas may
    call this at the same time: one of them does the work (advisory lock), and the unique job
    row per scheduled date makes a second queueing impossible anyway."""
    now = clock()
    async with uow:
        if not await uow.reports.try_lock_scheduler():
            return []
        first = await uow.reports.first_activity()
        due = due_dates(
            now.astimezone(rules.tz),
            policy,
            last_scheduled=await uow.reports.last_scheduled_day(),
            first_data=None if first is None else local_date(first, rules.tz),
        )
        queued = []
        for day in due:
            job = ReportJob(
                id=uuid.uuid4(), day=day, origin=ReportOrigin.SCHEDULE, requested_at=now
            )
            if await uow.reports.add_scheduled_job(job):
                _queue(uow, job)
                queued.append(day)
        await uow.commit()
    if queued:
        log.info("daily reports queued by the schedule: %s", ", ".join(map(str, queued)))
    return queued


async def build_daily_report(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    high_risk: HighRiskCounter,
    request: messages.BuildRequest,
) -> DailyReport | None:
    """Build and store (replacing) the report the job asks for, and mark the job done, in one
    transaction. None if the job was already done: a redelivered message changes nothing."""
    high_risk_members = await high_risk()
    start, end = day_bounds(request.day, rules.tz)
    async with uow:
        job = await uow.reports.job(request.job_id, for_update=True)
        if job is None or job.day != request.day:
            raise UnknownJob(f"no job {request.job_id} for {request.day.isoformat()}")
        if job.finished_at is not None:
            log.info("job %s already done at %s; nothing to do", job.id, job.finished_at)
            return None
        await uow.reports.lock_day(request.day)
        aggregates = await uow.reports.aggregate_day(start, end)
        report = build_report(
            request.day,
            aggregates,
            tz=rules.tz,
            high_risk_members=high_risk_members,
            generated_at=clock(),
        )
        await uow.reports.save(report, job_id=job.id)
        job.finished_at = report.generated_at
        await uow.commit()
    log.info("daily report of %s built (job %s): %d visits", report.day, job.id, report.visits)
    return report


async def get_report(*, uow: UnitOfWork, day_text: str) -> DailyReport:
    day = report_date("date", day_text)
    async with uow:
        report = await uow.reports.get(day)
    if report is None:
        raise errors.report_not_found(day)
    return report


def resolve_range(from_text: str, to_text: str, *, today: date) -> tuple[date, date]:
    last = validation.range_date("to_date", to_text) or today
    first = validation.range_date("from_date", from_text) or last - DEFAULT_RANGE
    _not_too_early("from_date", first)
    if first > last:
        raise errors.invalid("from_date", "from_date is after to_date")
    if last - first >= MAX_RANGE:
        raise errors.invalid("from_date", f"the range covers more than {MAX_RANGE.days} days")
    return first, last


async def list_reports(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, from_text: str, to_text: str
) -> Sequence[DailyReport]:
    """The stored reports of a range of local dates (default: the last 30 days to today),
    newest first."""
    first, last = resolve_range(from_text, to_text, today=local_date(clock(), rules.tz))
    async with uow:
        return await uow.reports.between(first, last)
