"""The event loop of every asyncio process of the services: uvloop (libuv), as uvicorn already
gives the gateway. grpc.aio, asyncpg and aio-pika all run on it, and it spends less CPU per
socket round trip than asyncio's own loop, which is most of what a check-in costs the services
(attendance, the relay, churn's projection; docs/http-load.md)."""

from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on a uvloop event loop."""
    return uvloop.run(main)
