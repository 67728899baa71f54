"""The cache's breaker and single flight, with a hand-driven clock and plain coroutines."""

import asyncio

import pytest

from frequenta_gateway.cache.breaker import Breaker
from frequenta_gateway.cache.flight import SingleFlight


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_on_a_failure_and_lets_one_probe_through_later():
    clock = Clock()
    breaker = Breaker(5.0, clock)
    assert breaker.allow() and not breaker.is_open
    breaker.failed()
    assert breaker.is_open and not breaker.allow()
    clock.now += 4.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    assert breaker.succeeded() is True  # Redis is back
    assert breaker.allow() and breaker.succeeded() is False


def test_a_probe_that_never_reports_is_replaced():
    clock = Clock()
    breaker = Breaker(5.0, clock)
    breaker.failed()
    clock.now += 5
    assert breaker.allow()
    clock.now += 4
    assert not breaker.allow()
    clock.now += 1.5
    assert breaker.allow()


def test_a_failed_probe_opens_it_again():
    clock = Clock()
    breaker = Breaker(5.0, clock)
    breaker.failed()
    clock.now += 5
    assert breaker.allow()
    breaker.failed()
    assert not breaker.allow()


async def test_single_flight_shares_results_and_errors_then_forgets_the_key():
    flights: SingleFlight[int] = SingleFlight()
    calls = 0
    release = asyncio.Event()

    async def work() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    waiting = [asyncio.ensure_future(flights.run("k", work)) for _ in range(5)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [1] * 5
    assert len(flights) == 0

    async def failing() -> int:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await flights.run("k", failing)
    assert await flights.run("k", work) == 2
