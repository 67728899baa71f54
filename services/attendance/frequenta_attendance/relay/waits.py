"""Waiting that a stop signal cuts short."""

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def wait_any(seconds: float, *events: asyncio.Event) -> None:
    """Sleep ``seconds`` or until one of ``events`` is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


async def until(
    stop: asyncio.Event,
    work: Awaitable[T],
    *,
    within: float | None = None,
    value: T | None = None,
) -> T | None:
    """The result of ``work`` (``value`` instead, if given and ``work`` returns nothing), or
    None if ``stop`` is set or ``within`` seconds pass first (``work`` is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    if not task.done() or task.cancelled():
        return None
    result = task.result()
    return value if result is None and value is not None else result
