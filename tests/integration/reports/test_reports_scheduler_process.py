"""Two real ``python -m frequenta_attendance scheduler`` processes on one database: together
they queue each due date once (one job, one work message), and SIGTERM stops each with exit 0."""

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from integration_support import ANY_METRICS_PORT
from reports_support import SAO_PAULO
from sqlalchemy import text

WAKE_UP = "wake-up done"


async def start_scheduler(database_url: str, log: Path) -> asyncio.subprocess.Process:
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=database_url,
        FREQUENTA_GYM_TIMEZONE="America/Sao_Paulo",
        FREQUENTA_REPORT_HOUR="0",  # yesterday is due at any hour
        FREQUENTA_SCHEDULER_INTERVAL_SECONDS="0.1",
        FREQUENTA_LOG_LEVEL="DEBUG",
        FREQUENTA_LOG_JSON="false",
        FREQUENTA_METRICS_PORTS=ANY_METRICS_PORT,
    )
    with log.open("wb") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "frequenta_attendance",
            "scheduler",
            env=env,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )


async def test_two_scheduler_processes_queue_each_date_once_then_stop_on_sigterm(
    fresh_database_url, fresh_engine, tmp_path, poll
):
    first_data = datetime.now(UTC) - timedelta(days=5)
    async with fresh_engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
                " SELECT 'Primeira', 'primeira@example.com', id, :at FROM planos"
                " WHERE codigo = 'mensal'"
            ),
            {"at": first_data},
        )
    logs = [tmp_path / "scheduler-1.log", tmp_path / "scheduler-2.log"]
    processes = [await start_scheduler(fresh_database_url, log) for log in logs]
    try:

        async def every_one_woke_up_five_times() -> bool:
            for process, log in zip(processes, logs, strict=True):
                assert process.returncode is None, log.read_text()
                if log.read_text().count(WAKE_UP) < 5:
                    return False
            return True

        await poll(every_one_woke_up_five_times, within=30, what="five wake-ups of each")
        for process in processes:
            process.send_signal(signal.SIGTERM)
        codes = await asyncio.wait_for(asyncio.gather(*(p.wait() for p in processes)), 20)
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert codes == [0, 0], [log.read_text()[-2000:] for log in logs]
    assert all("scheduler stopped" in log.read_text() for log in logs)

    yesterday = datetime.now(SAO_PAULO).date() - timedelta(days=1)
    first_day = first_data.astimezone(SAO_PAULO).date()
    async with fresh_engine.connect() as connection:
        dates = list(
            (
                await connection.execute(
                    text("SELECT report_date FROM report_jobs WHERE origin = 'schedule'")
                )
            ).scalars()
        )
        messages = await connection.scalar(
            text("SELECT count(*) FROM outbox WHERE routing_key = 'daily-reports'")
        )
    assert sorted(dates) == [
        first_day + timedelta(days=n) for n in range((yesterday - first_day).days + 1)
    ]
    assert messages == len(dates)
