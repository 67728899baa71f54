"""``python -m frequenta_attendance relay`` as a real process: it publishes, and on SIGTERM it
finishes the batch in flight and exits 0."""

import asyncio
import signal


async def test_the_relay_process_publishes_then_exits_zero_on_sigterm(
    relay_process, received, new_member, poll
):
    async with relay_process() as process:
        member = await new_member()

        async def published() -> bool:
            return received.of_member(member.id) == ["member.registered"]

        await poll(published, within=15, what="the registration, published by the process")

        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(20):
            output = await process.stdout.read()
            assert await process.wait() == 0, output.decode()
        assert b"shutdown signal received" in output
        assert b"relay stopped" in output
