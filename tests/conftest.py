"""Shared by every test layer: markers from the folder a test lives in, the disruptive tests
moved to the end of the session, and polling with a deadline (never a bare sleep)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = item.path.parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        elif "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
    # A test that stops a server (PostgreSQL) runs after every other one, so none of them meets
    # the outage; the session's fixtures that outlive it (engines with pool_pre_ping, processes
    # that reconnect) only tear down afterwards. Tests run one at a time in a session.
    items.sort(key=lambda item: item.get_closest_marker("disruptive") is not None)


async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    within: float = 10.0,
    interval: float = 0.05,
    what: str = "the condition",
) -> T:
    """Await ``probe`` until it returns something truthy; fail after ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            while True:
                if result := await probe():
                    return result
                await asyncio.sleep(interval)
    except TimeoutError:
        raise AssertionError(f"timed out after {within:g}s waiting for {what}") from None


@pytest.fixture
def poll() -> Callable[..., Awaitable[object]]:
    """``await poll(probe, within=..., what=...)``: see :func:`eventually`."""
    return eventually
