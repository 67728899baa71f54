"""The services' processes run their main coroutine on uvloop."""

import asyncio

import uvloop

from frequenta_kit import event_loop


def test_run_answers_the_coroutines_result_on_a_uvloop_loop():
    async def main() -> tuple[type, int]:
        await asyncio.sleep(0)
        return type(asyncio.get_running_loop()), 42

    assert event_loop.run(main()) == (uvloop.Loop, 42)


def test_run_lets_the_coroutines_exception_through():
    async def main() -> None:
        raise LookupError("from the coroutine")

    try:
        event_loop.run(main())
    except LookupError as error:
        assert str(error) == "from the coroutine"
    else:
        raise AssertionError("the exception was swallowed")
