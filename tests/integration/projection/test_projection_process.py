"""``python -m frequenta_churn worker projection`` as a real process: it declares its queue,
applies the events published on it, and on SIGTERM lets the events in flight commit and exits 0;
``rebuild-projection`` as a real process says why it failed when attendance is away."""

import asyncio
import contextlib
import os
import signal
import sys

from integration_support import ANY_METRICS_PORT, closed_port
from projection_support import (
    ago,
    projection_rows,
    projection_settings,
    publish,
    registered,
    unique_member_id,
)

from frequenta_kit.broker import connect

STARTED = b"consuming "


def process_env(settings) -> dict[str, str]:
    return dict(
        os.environ,
        FREQUENTA_CHURN_DATABASE_URL=settings.churn_database_url,
        FREQUENTA_RABBITMQ_URL=settings.rabbitmq_url,
        FREQUENTA_BROKER_NAMESPACE=settings.broker_namespace,
        FREQUENTA_PROJECTION_QUEUE=settings.projection_queue,
        FREQUENTA_ATTENDANCE_ADDRESS=settings.attendance_address,
        FREQUENTA_LOG_JSON="false",
        FREQUENTA_METRICS_PORTS=ANY_METRICS_PORT,
    )


async def test_the_worker_process_applies_events_then_exits_zero_on_sigterm(
    shared_churn_database, rabbitmq, events_channel, poll, tmp_path
) -> None:
    settings = projection_settings(rabbitmq, shared_churn_database.url)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frequenta_churn",
        "worker",
        "projection",
        cwd=tmp_path,
        env=process_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output = b""
        async with asyncio.timeout(30):
            async for line in process.stdout:  # type: ignore[union-attr]
                output += line
                if STARTED in line:
                    break
        assert STARTED in output, output.decode()
        member, enrolled = unique_member_id(), ago(days=10)
        await publish(events_channel, rabbitmq.topology, registered(member, enrolled))

        async def applied() -> bool:
            members, _ = await projection_rows(shared_churn_database.engine, {member})
            return members == [(member, "mensal", 1, enrolled, None, None)]

        await poll(applied, within=15, what="the registration, applied by the process")

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            output += await process.stdout.read()  # type: ignore[union-attr]
            assert await process.wait() == 0, output.decode()
        assert b"shutdown signal received" in output
        assert b"projection worker stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        connection = await connect(rabbitmq.url)
        async with connection:
            channel = await connection.channel()
            for queue in (
                settings.topology.queue(settings.projection_queue),
                settings.topology.dead_letter_queue(settings.projection_queue),
            ):
                with contextlib.suppress(Exception):
                    await channel.queue_delete(queue)


async def test_a_rebuild_with_attendance_away_exits_one_and_says_why(
    shared_churn_database, rabbitmq, tmp_path
) -> None:
    settings = projection_settings(
        rabbitmq, shared_churn_database.url, attendance_address=closed_port()
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frequenta_churn",
        "rebuild-projection",
        cwd=tmp_path,
        env=process_env(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(60):
        output, _ = await process.communicate()
    assert process.returncode == 1, output.decode()
    assert b"rebuild failed: attendance answered StatusCode.UNAVAILABLE" in output
    connection = await connect(rabbitmq.url)
    async with connection:  # the rebuild bound the queue first; remove it
        channel = await connection.channel()
        for queue in (
            settings.topology.queue(settings.projection_queue),
            settings.topology.dead_letter_queue(settings.projection_queue),
        ):
            await channel.queue_delete(queue)
