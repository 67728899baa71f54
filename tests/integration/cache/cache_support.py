"""Helpers of the cache tests: a Redis server of a test's own (to stop and start), a response
cache on a given Redis, and answers that count how often they were computed."""

import asyncio
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import redis.asyncio as redis
from pydantic import BaseModel

from frequenta_gateway.cache import ResponseCache
from frequenta_gateway.settings import GatewaySettings

REDIS_URL = os.environ.get("FREQUENTA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """``redis-server`` on a free port, started and stopped by the test (never the shared one).
    It keeps no data across a restart unless ``save()`` wrote a snapshot to its directory."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--dbfilename",
                "dump.rdb",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def pause(self) -> None:
        """Freeze it (SIGSTOP): connections stay open, nothing answers."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Kill it (no shutdown save)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


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
