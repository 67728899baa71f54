"""The relay's stop-aware waits: a stop signal cuts every wait short, work that finishes first
gives its result."""

import asyncio

from frequenta_attendance.relay.waits import until, wait_any


async def test_until_gives_the_result_of_work_that_finishes_first():
    stop = asyncio.Event()

    async def work() -> str:
        return "done"

    assert await until(stop, work()) == "done"


async def test_until_gives_value_for_work_that_returns_nothing():
    async def ready() -> None:
        return None

    assert await until(asyncio.Event(), ready(), value=True) is True


async def test_until_cancels_the_work_when_stopped_or_out_of_time():
    stop = asyncio.Event()
    never = asyncio.get_running_loop().create_future()
    assert await until(stop, never, within=0.01) is None
    assert never.cancelled()
    stop.set()
    assert await until(stop, asyncio.get_running_loop().create_future()) is None


async def test_wait_any_returns_as_soon_as_an_event_is_set():
    wake = asyncio.Event()
    asyncio.get_running_loop().call_soon(wake.set)
    async with asyncio.timeout(5):
        await wait_any(3600, asyncio.Event(), wake)
