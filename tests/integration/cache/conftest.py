"""Fixtures of the cache tests: a key prefix of the test's own on the shared Redis (its keys
deleted afterwards), a client on it, cache versions as a service holds them, and a Redis server
of the test's own for the tests that stop it."""

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as redis
from cache_support import REDIS_URL, OwnRedis, delete_prefix

from frequenta_kit.cache_versions import CacheVersions, redis_client


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"frequenta-test-{uuid.uuid4().hex[:8]}"
    yield name
    await delete_prefix(REDIS_URL, name)


@pytest.fixture
async def client() -> AsyncIterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL)
    yield connection
    await connection.aclose()


@pytest.fixture
async def versions(prefix: str) -> AsyncIterator[CacheVersions]:
    """The versions a service bumps (not entered: no generation owed from a start)."""
    bumps = CacheVersions(redis_client(REDIS_URL, 1.0), prefix)
    yield bumps
    await bumps.close()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
