"""``python -m frequenta_attendance relay`` as a real process: it publishes, and on SIGTERM it
finishes the batch in flight and exits 0."""

import asyncio
import os
import signal
import sys

from yarl import URL

STARTED = b"relay publishing the outbox"


async def test_the_relay_process_publishes_then_exits_zero_on_sigterm(
    rabbitmq, attendance_database_url, received, new_member, poll, tmp_path
):
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=attendance_database_url,
        FREQUENTA_RABBITMQ_URL=str(URL(rabbitmq.url)),
        FREQUENTA_BROKER_NAMESPACE=rabbitmq.namespace,
        FREQUENTA_RELAY_POLL_INTERVAL_SECONDS="0.2",
        FREQUENTA_LOG_JSON="false",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "frequenta_attendance",
        "relay",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output = b""
        async with asyncio.timeout(30):
            async for line in process.stdout:
                output += line
                if STARTED in line:
                    break
        assert STARTED in output, output.decode()
        member = await new_member()

        async def published() -> bool:
            return received.of_member(member.id) == ["member.registered"]

        await poll(published, within=15, what="the registration, published by the process")

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            output += await process.stdout.read()
            assert await process.wait() == 0, output.decode()
        assert b"shutdown signal received" in output
        assert b"relay stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
