"""Redis down or gone: answers come uncached (never an error), the breaker keeps a dead Redis
out of the way, and no answer cached before a lost bump is served once Redis is back: the
service pays its owed generation bump, and the gateway bumps the generation itself when Redis
answers again after a failure."""

import asyncio
import json

from cache_support import Counting, free_port, open_cache
from prometheus_client import REGISTRY

from frequenta_kit.cache_versions import CacheVersions, redis_client


def computed(response) -> int:
    return json.loads(response.body)["computed"]


async def poll(probe, within: float, what: str, every: float = 0.1):
    deadline = asyncio.get_running_loop().time() + within
    while not (result := await probe()):
        assert asyncio.get_running_loop().time() < deadline, f"{what}: not within {within}s"
        await asyncio.sleep(every)
    return result


async def test_a_closed_port_answers_uncached_then_bypasses(prefix):
    cache = open_cache(f"redis://127.0.0.1:{free_port()}/0", prefix, cache_breaker_seconds=60)
    answer = Counting()
    try:
        first = await cache.attendance(1, answer)
        second = await cache.churn_risk(1, answer)
        third = await cache.at_risk(answer, pagina=1)
        assert first.status_code == second.status_code == third.status_code == 200
        assert [r.headers["x-cache"] for r in (first, second, third)] == [
            "error",
            "bypass",
            "bypass",
        ]
        assert answer.calls == 3 and cache.breaker.is_open
    finally:
        await cache.close()


async def test_a_stopped_redis_answers_uncached_and_the_cache_returns_with_it(own_redis, prefix):
    cache = open_cache(own_redis.url, prefix, cache_breaker_seconds=0.2)
    answer = Counting()
    try:
        await cache.attendance(2, answer)
        assert (await cache.attendance(2, answer)).headers["x-cache"] == "hit"
        own_redis.stop()
        down = [await cache.attendance(2, answer) for _ in range(3)]
        assert {r.status_code for r in down} == {200}
        assert {r.headers["x-cache"] for r in down} <= {"error", "bypass"}
        assert answer.calls == 4

        own_redis.start()

        async def cached_again() -> bool:
            return (await cache.attendance(2, answer)).headers["x-cache"] == "hit"

        await poll(cached_again, within=10, what="the cache back with Redis")
    finally:
        await cache.close()


async def test_a_lost_bump_is_paid_as_a_new_generation_once_redis_is_back(own_redis, prefix):
    """Redis restarts from a snapshot holding an entry older than a change whose bump was lost
    while it was down: the service's owed generation bump makes that entry unreachable, even
    for a gateway that never saw Redis fail (one started afterwards)."""
    before = open_cache(own_redis.url, prefix)
    versions = CacheVersions(redis_client(own_redis.url, 0.2), prefix, retry_seconds=0.1)
    answer = Counting()
    try:
        assert computed(await before.churn_risk(3, answer)) == 1
        await before.close()
        probe = redis_client(own_redis.url, 1.0)
        await probe.save()  # the snapshot Redis will come back with
        await probe.aclose()
        own_redis.stop()

        assert not await versions.bump_members([3])  # the change's bump is lost
        assert versions.owes_generation

        own_redis.start()  # from the snapshot: the old entry and the old versions

        async def paid() -> bool:
            return not versions.owes_generation

        await poll(paid, within=10, what="the owed generation bump")
        after = open_cache(own_redis.url, prefix)
        try:
            fresh = await after.churn_risk(3, answer)
        finally:
            await after.close()
        assert fresh.headers["x-cache"] == "miss" and computed(fresh) == 2
    finally:
        await versions.close()


async def _status(call):
    """The response once it is not an uncached one (the breaker may still be open)."""
    response = await call
    return response if response.headers["x-cache"] in {"hit", "miss"} else None


async def test_the_gateway_starts_a_new_generation_after_a_failure(own_redis, prefix):
    """Even when no service noticed (nobody bumped while Redis was away), the gateway that saw
    Redis fail bumps the generation when it answers again: nothing from before is served."""
    cache = open_cache(own_redis.url, prefix, cache_breaker_seconds=0.2)
    answer = Counting()
    try:
        assert computed(await cache.attendance(4, answer)) == 1
        probe = redis_client(own_redis.url, 1.0)
        await probe.save()
        await probe.aclose()
        own_redis.stop()
        assert (await cache.attendance(4, answer)).headers["x-cache"] == "error"
        own_redis.start()  # with the entry of computation 1

        back = await poll(
            lambda: _status(cache.attendance(4, answer)), within=10, what="the cache back"
        )
        assert back.headers["x-cache"] == "miss" and computed(back) == answer.calls > 2
    finally:
        await cache.close()


async def test_a_service_owes_a_generation_from_its_start(prefix, client):
    async with CacheVersions(redis_client("redis://127.0.0.1:6379/0", 1.0), prefix) as versions:
        await poll(lambda: _paid(versions), within=10, what="the start-up generation bump")
    assert int(await client.get(f"{prefix}:gen")) == 1


async def _paid(versions: CacheVersions) -> bool:
    return not versions.owes_generation


def bumps(result: str) -> float:
    return REGISTRY.get_sample_value("frequenta_cache_version_bumps_total", {"result": result}) or 0


async def test_a_hung_redis_costs_a_timeout_then_is_left_alone(own_redis, prefix):
    """Redis frozen: the gateway's call and the service's bump time out once; then the breaker
    bypasses Redis and the service skips its bumps (its owed generation bump covers them),
    until Redis answers again."""
    cache = open_cache(own_redis.url, prefix, cache_timeout_seconds=0.2, cache_breaker_seconds=60)
    versions = CacheVersions(redis_client(own_redis.url, 0.2), prefix, retry_seconds=0.1)
    answer = Counting()
    try:
        await cache.attendance(6, answer)
        own_redis.pause()
        try:
            states = [(await cache.attendance(6, answer)).headers["x-cache"] for _ in range(3)]
            assert states == ["error", "bypass", "bypass"] and answer.calls == 4
            assert not await versions.bump_members([6])  # timed out: a generation is owed
            skipped = bumps("owed")
            assert not await versions.bump_members([6])  # not even tried
            assert bumps("owed") == skipped + 1
        finally:
            own_redis.resume()
        await poll(lambda: _paid(versions), within=10, what="the owed generation bump")
    finally:
        await versions.close()
        await cache.close()
