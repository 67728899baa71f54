"""``python -m frequenta_attendance scheduler``: wakes every ``scheduler_interval_seconds`` and
queues the daily reports that are due (see :mod:`frequenta_attendance.reports.schedule`).

Any number of replicas may run: each wake-up is one short transaction under an advisory lock,
and a scheduled date has one job row at most. A failed wake-up (database down) is logged and
retried at the next one. SIGTERM or SIGINT: the wake-up in progress finishes, then exit 0.
"""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import date

from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.clock import Clock, system_clock
from frequenta_attendance.reports.handlers import schedule_due_reports
from frequenta_attendance.reports.schedule import SchedulePolicy
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_engine, create_session_factory
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

WAKE_UPS = Counter(
    "frequenta_scheduler_wake_ups_total",
    "Wake-ups of the report scheduler by outcome (ok, skipped: a dependency away, failed).",
    ["outcome"],
)
REPORTS_QUEUED = Counter(
    "frequenta_scheduler_reports_queued_total", "Daily reports queued by this scheduler."
)
LAST_WAKE_UP = Gauge(
    "frequenta_scheduler_last_success_timestamp_seconds",
    "Unix time of the scheduler's last successful wake-up.",
)

Tick = Callable[[], Awaitable[list[date]]]


def policy(settings: AttendanceSettings) -> SchedulePolicy:
    return SchedulePolicy(
        report_hour=settings.report_hour, catch_up_days=settings.report_catch_up_days
    )


def scheduler_tick(
    settings: AttendanceSettings, engine: AsyncEngine, *, clock: Clock = system_clock
) -> Tick:
    """One wake-up of the scheduler: queue what is due now; the dates queued."""
    session_factory = create_session_factory(engine)
    rules, schedule = gym_rules(settings), policy(settings)

    async def tick() -> list[date]:
        queued = await schedule_due_reports(
            uow=SqlAlchemyUnitOfWork(session_factory), clock=clock, rules=rules, policy=schedule
        )
        log.debug("wake-up done: %d report(s) queued", len(queued))
        return queued

    return tick


async def run_until(stop: asyncio.Event, tick: Tick, *, interval: float) -> None:
    """Call ``tick`` now and then every ``interval`` seconds until ``stop`` is set."""
    while not stop.is_set():
        try:
            queued = await tick()
        except Unavailable as error:
            WAKE_UPS.labels("skipped").inc()
            log.warning("scheduler wake-up skipped: %s", error)
        except Exception:
            WAKE_UPS.labels("failed").inc()
            log.exception("scheduler wake-up failed; trying again in %.0fs", interval)
        else:
            WAKE_UPS.labels("ok").inc()
            REPORTS_QUEUED.inc(len(queued))
            LAST_WAKE_UP.set_to_current_time()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run_scheduler(settings: AttendanceSettings, *, clock: Clock = system_clock) -> None:
    """The process's main: wake up until SIGTERM/SIGINT, then exit."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "scheduler started: reports due from %02d:00 (%s), catch-up %d days, every %gs",
        settings.report_hour,
        settings.gym_timezone,
        settings.report_catch_up_days,
        settings.scheduler_interval_seconds,
    )
    engine = create_engine(settings.attendance_database_url, pool_size=1)
    try:
        tick = scheduler_tick(settings, engine, clock=clock)
        await run_until(stop, tick, interval=settings.scheduler_interval_seconds)
    finally:
        await engine.dispose()
    log.info("scheduler stopped")
