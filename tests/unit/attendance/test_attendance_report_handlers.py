"""Daily report use cases, the worker's message handler and the scheduler loop, with a
hand-written fake unit of work: what is written (and committed) for each request, which
messages become permanent failures, and a loop that survives failed wake-ups."""

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prometheus_client import REGISTRY

from frequenta_attendance.domain.report_jobs import ReportOrigin
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.models import ReportJob
from frequenta_attendance.reports import messages
from frequenta_attendance.reports.figures import DayAggregates
from frequenta_attendance.reports.handlers import (
    no_churn_yet,
    request_report,
    schedule_due_reports,
)
from frequenta_attendance.reports.schedule import SchedulePolicy
from frequenta_attendance.reports.scheduler import run_until
from frequenta_attendance.reports.worker import report_handler
from frequenta_kit.consumer import PermanentFailure, WorkMessage
from frequenta_kit.errors import InvalidInput, Unavailable

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
RULES = GymRules(tz=SAO_PAULO, clock_skew=timedelta(minutes=5), max_visit=timedelta(hours=6))
# 2026-03-10 10:00 in Sao Paulo.
NOW = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
EMPTY_DAY = DayAggregates(0, 0, {}, {}, 0, 0, 0, 0)


@dataclass
class FakeReports:
    jobs: dict[uuid.UUID, ReportJob] = field(default_factory=dict)
    saved: list[tuple[object, uuid.UUID]] = field(default_factory=list)
    locked: bool = True
    first: datetime | None = None

    def add_job(self, job: ReportJob) -> None:
        self.jobs[job.id] = job

    async def add_scheduled_job(self, job: ReportJob) -> bool:
        self.jobs[job.id] = job
        return True

    async def job(self, job_id: uuid.UUID, *, for_update: bool = False) -> ReportJob | None:
        return self.jobs.get(job_id)

    async def try_lock_scheduler(self) -> bool:
        return self.locked

    async def last_scheduled_day(self) -> date | None:
        return None

    async def first_activity(self) -> datetime | None:
        return self.first

    async def lock_day(self, day: date) -> None:
        pass

    async def aggregate_day(self, start: datetime, end: datetime) -> DayAggregates:
        return EMPTY_DAY

    async def save(self, report: object, *, job_id: uuid.UUID) -> None:
        self.saved.append((report, job_id))


@dataclass
class FakeOutbox:
    work: list[tuple[str, bytes, uuid.UUID, dict]] = field(default_factory=list)

    def add_work(self, queue: str, body: bytes, message_id: uuid.UUID, **options) -> None:
        self.work.append((queue, body, message_id, options))


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.reports = FakeReports()
        self.outbox = FakeOutbox()
        self.commits = 0

    async def __aenter__(self) -> "FakeUnitOfWork":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        pass

    async def commit(self) -> None:
        self.commits += 1


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


async def test_an_on_demand_build_writes_its_job_and_message_in_one_commit(uow):
    queued = await request_report(uow=uow, clock=lambda: NOW, rules=RULES, day_text="")  # type: ignore[arg-type]
    assert queued.day == date(2026, 3, 9)
    job = uow.reports.jobs[queued.job_id]
    assert (job.day, job.origin, job.requested_at) == (queued.day, ReportOrigin.ON_DEMAND, NOW)
    ((queue, body, message_id, options),) = uow.outbox.work
    assert (queue, message_id) == ("daily-reports", queued.job_id)
    assert options == {"message_type": "report.daily.build", "content_type": "application/json"}
    assert json.loads(body)["date"] == "2026-03-09"
    assert uow.commits == 1


async def test_today_is_allowed_a_later_date_is_refused_before_writing(uow):
    today = await request_report(uow=uow, clock=lambda: NOW, rules=RULES, day_text="2026-03-10")  # type: ignore[arg-type]
    assert today.day == date(2026, 3, 10)
    with pytest.raises(InvalidInput) as refused:
        await request_report(uow=uow, clock=lambda: NOW, rules=RULES, day_text="2026-03-11")  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.field) == ("REPORT_DATE_IN_FUTURE", "date")
    assert len(uow.outbox.work) == 1 and uow.commits == 1


async def test_a_scheduler_without_the_lock_writes_nothing(uow):
    uow.reports.locked = False
    uow.reports.first = NOW - timedelta(days=5)
    policy = SchedulePolicy(report_hour=2, catch_up_days=31)
    assert await schedule_due_reports(uow=uow, clock=lambda: NOW, rules=RULES, policy=policy) == []  # type: ignore[arg-type]
    assert uow.reports.jobs == {} and uow.outbox.work == []
    uow.reports.locked = True
    queued = await schedule_due_reports(uow=uow, clock=lambda: NOW, rules=RULES, policy=policy)  # type: ignore[arg-type]
    assert queued == [date(2026, 3, 5) + timedelta(days=n) for n in range(5)]
    assert {job.origin for job in uow.reports.jobs.values()} == {ReportOrigin.SCHEDULE}
    assert sorted(m for _, _, m, _ in uow.outbox.work) == sorted(uow.reports.jobs)


def builds() -> float:
    return REGISTRY.get_sample_value("frequenta_reports_built_total") or 0.0


def handler(uow: FakeUnitOfWork):
    return report_handler(uow=lambda: uow, clock=lambda: NOW, rules=RULES, high_risk=no_churn_yet)  # type: ignore[arg-type,return-value]


def work(job_id: uuid.UUID, day: date, message_id: str | None = None) -> WorkMessage:
    body = messages.encode(messages.BuildRequest(job_id, day))
    return WorkMessage(message_id or str(job_id), body, {}, 0)


def queued_job(uow: FakeUnitOfWork, day: date, finished_at: datetime | None = None) -> uuid.UUID:
    job = ReportJob(
        id=uuid.uuid4(),
        day=day,
        origin=ReportOrigin.ON_DEMAND,
        requested_at=NOW,
        finished_at=finished_at,
    )
    uow.reports.add_job(job)
    return job.id


async def test_the_worker_builds_stores_and_finishes_the_job(uow):
    job_id = queued_job(uow, date(2026, 3, 9))
    built = builds()
    await handler(uow)(work(job_id, date(2026, 3, 9)))
    assert builds() == built + 1
    ((report, saved_for),) = uow.reports.saved
    assert saved_for == job_id and report.day == date(2026, 3, 9)  # type: ignore[attr-defined]
    assert uow.reports.jobs[job_id].finished_at == NOW
    assert uow.commits == 1


async def test_a_job_already_done_is_acknowledged_without_rebuilding(uow):
    job_id = queued_job(uow, date(2026, 3, 9), finished_at=NOW - timedelta(hours=1))
    built = builds()
    await handler(uow)(work(job_id, date(2026, 3, 9)))
    assert uow.reports.saved == [] and uow.commits == 0
    assert builds() == built  # not counted as a build


async def test_messages_that_can_never_be_built_are_permanent_failures(uow):
    job_id = queued_job(uow, date(2026, 3, 9))
    cases = [
        WorkMessage(str(job_id), b"{}", {}, 0),  # malformed
        work(job_id, date(2026, 3, 9), message_id=str(uuid.uuid4())),  # id is not the job's
        work(uuid.uuid4(), date(2026, 3, 9)),  # unknown job
        work(job_id, date(2026, 3, 8)),  # the job is for another date
    ]
    for message in cases:
        with pytest.raises(PermanentFailure):
            await handler(uow)(message)
    assert uow.reports.saved == []


async def test_the_scheduler_loop_survives_failed_wake_ups_and_stops_when_told():
    stop = asyncio.Event()
    outcomes: list[object] = [RuntimeError("bug"), Unavailable("DATABASE_UNAVAILABLE", "down"), []]
    calls = 0

    async def tick() -> list[date]:
        nonlocal calls
        calls += 1
        outcome = outcomes[min(calls, len(outcomes)) - 1]
        if calls >= len(outcomes):
            stop.set()
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    await asyncio.wait_for(run_until(stop, tick, interval=0.001), 5)
    assert calls == 3
