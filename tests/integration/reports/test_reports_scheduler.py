"""The scheduler against real PostgreSQL, on a database of each test's own: which dates it
queues and when, catch-up after downtime (bounded), and replicas racing each other: every date
is queued once, with exactly one work message."""

import asyncio
from collections import Counter
from datetime import date, timedelta

import pytest
from reports_support import local, report_messages
from sqlalchemy import text

from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.reports.handlers import schedule_due_reports
from frequenta_attendance.reports.repository import ReportRepository
from frequenta_attendance.reports.schedule import SchedulePolicy
from frequenta_attendance.reports.scheduler import run_until, scheduler_tick
from frequenta_attendance.settings import AttendanceSettings
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.database import create_engine, create_session_factory

POLICY = SchedulePolicy(report_hour=2, catch_up_days=31)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.fixture
def settings(fresh_database_url: str) -> AttendanceSettings:
    return AttendanceSettings(
        attendance_database_url=fresh_database_url,
        gym_timezone="America/Sao_Paulo",
        report_hour=POLICY.report_hour,
        report_catch_up_days=POLICY.catch_up_days,
    )


async def enroll(engine, instant) -> None:
    """A member enrolled at ``instant``: the gym's first data, as far as the scheduler cares."""
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
                " SELECT 'Primeira', 'primeira-' || gen_random_uuid() || '@example.com', id, :at"
                " FROM planos WHERE codigo = 'mensal'"
            ),
            {"at": instant},
        )


async def scheduled(engine) -> list[date]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT report_date FROM report_jobs WHERE origin = 'schedule' ORDER BY 1")
        )
        return list(rows.scalars())


async def assert_one_message_per_job(engine) -> None:
    async with engine.connect() as connection:
        jobs = set((await connection.execute(text("SELECT id::text FROM report_jobs"))).scalars())
    messages = [message.message_id for message in await report_messages(engine)]
    assert sorted(messages) == sorted(jobs)


def tick_at(settings, engine, now):
    async def tick() -> list[date]:
        return await schedule_due_reports(
            uow=SqlAlchemyUnitOfWork(create_session_factory(engine)),
            clock=lambda: now,
            rules=gym_rules(settings),
            policy=POLICY,
        )

    return tick


async def test_an_empty_gym_has_nothing_to_report(settings, fresh_engine):
    assert await tick_at(settings, fresh_engine, local(date(2026, 1, 15), 9))() == []
    assert await scheduled(fresh_engine) == []


async def test_due_dates_from_the_first_data_then_daily_then_caught_up_after_downtime(
    settings, fresh_engine
):
    await enroll(fresh_engine, local(date(2026, 1, 10), 10))

    # 01:30 on the 15th: the 14th is not due before 02:00.
    queued = await tick_at(settings, fresh_engine, local(date(2026, 1, 15), 1, 30))()
    assert queued == days(date(2026, 1, 10), date(2026, 1, 13))
    assert await tick_at(settings, fresh_engine, local(date(2026, 1, 15), 1, 59))() == []
    assert await tick_at(settings, fresh_engine, local(date(2026, 1, 15), 2))() == [
        date(2026, 1, 14)
    ]

    # Down from the 15th to the 20th: the missed days come all at once.
    queued = await tick_at(settings, fresh_engine, local(date(2026, 1, 20), 9))()
    assert queued == days(date(2026, 1, 15), date(2026, 1, 19))

    # Down for two months: only the last 31 due dates are caught up.
    queued = await tick_at(settings, fresh_engine, local(date(2026, 4, 1), 9))()
    assert queued == days(date(2026, 3, 1), date(2026, 3, 31))

    assert await scheduled(fresh_engine) == days(date(2026, 1, 10), date(2026, 1, 19)) + days(
        date(2026, 3, 1), date(2026, 3, 31)
    )
    await assert_one_message_per_job(fresh_engine)


async def test_on_demand_builds_do_not_count_as_scheduled(settings, fresh_engine):
    await enroll(fresh_engine, local(date(2026, 1, 10), 10))
    async with fresh_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO report_jobs (id, report_date, origin, requested_at)"
                " VALUES (gen_random_uuid(), '2026-01-11', 'on_demand', now())"
            )
        )
    queued = await tick_at(settings, fresh_engine, local(date(2026, 1, 13), 9))()
    assert queued == days(date(2026, 1, 10), date(2026, 1, 12))


async def test_replicas_running_at_once_queue_each_date_once(settings, fresh_database_url, poll):
    """Three scheduler loops, each with its own connection pool, waking every 10 ms at the same
    instant for a while: 20 due dates, each queued once, each with one message."""
    engines = [create_engine(fresh_database_url, pool_size=2) for _ in range(3)]
    now = local(date(2026, 2, 1), 8)
    try:
        await enroll(engines[0], now - timedelta(days=20))
        returned: list[date] = []
        wakeups = Counter[int]()

        def replica(number: int, engine):
            tick = scheduler_tick(settings, engine, clock=lambda: now)

            async def counted() -> list[date]:
                wakeups[number] += 1
                queued = await tick()
                returned.extend(queued)
                return queued

            return counted

        stop = asyncio.Event()
        loops = [
            asyncio.create_task(run_until(stop, replica(n, engine), interval=0.01))
            for n, engine in enumerate(engines)
        ]

        async def every_replica_woke_often() -> bool:
            return len(wakeups) == 3 and min(wakeups.values()) >= 10

        await poll(every_replica_woke_often, within=20, what="ten wake-ups of every replica")
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), 10)

        want = days(date(2026, 1, 12), date(2026, 1, 31))
        assert sorted(returned) == want  # no date queued by two replicas
        assert await scheduled(engines[0]) == want
        await assert_one_message_per_job(engines[0])
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_unique_row_alone_stops_a_double_run(
    settings, fresh_database_url, fresh_engine, monkeypatch
):
    """Even if the advisory lock let every replica in, each date is queued once."""

    async def always(self) -> bool:
        return True

    monkeypatch.setattr(ReportRepository, "try_lock_scheduler", always)
    engines = [create_engine(fresh_database_url, pool_size=4) for _ in range(2)]
    now = local(date(2026, 2, 1), 8)
    try:
        await enroll(fresh_engine, now - timedelta(days=10))
        results = await asyncio.gather(
            *(tick_at(settings, engines[n % 2], now)() for n in range(8))
        )
        want = days(date(2026, 1, 22), date(2026, 1, 31))
        assert sorted(day for queued in results for day in queued) == want
        assert await scheduled(fresh_engine) == want
        await assert_one_message_per_job(fresh_engine)
    finally:
        for engine in engines:
            await engine.dispose()
