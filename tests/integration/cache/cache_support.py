"""Helpers of the cache tests: a response cache on a given Redis, and answers that count how
often they were computed (a Redis of a test's own: tests/redis_support.py)."""

import asyncio
import os
from typing import Any

import redis.asyncio as redis
from pydantic import BaseModel

from frequenta_gateway.cache import ResponseCache
from frequenta_gateway.settings import GatewaySettings

REDIS_URL = os.environ.get("FREQUENTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


class Answer(BaseModel):
    subject: str
    computed: int


class Counting:
    """An answer that counts its computations; ``delay`` seconds each."""

    def __init__(self, subject: str = "a", delay: float = 0.0) -> None:
        self.subject = subject
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> Answer:
        self.calls += 1
        calls = self.calls
        if self.delay:
            await asyncio.sleep(self.delay)
        return Answer(subject=self.subject, computed=calls)


def open_cache(url: str, prefix: str, **settings: Any) -> ResponseCache:
    fields = {"cache_timeout_seconds": 1.0, "cache_breaker_seconds": 0.5, **settings}
    return ResponseCache.open(GatewaySettings(redis_url=url, redis_key_prefix=prefix, **fields))


async def delete_prefix(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = [key async for key in client.scan_iter(f"{prefix}:*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
