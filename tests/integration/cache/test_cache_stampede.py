"""Stampede protection against the real Redis: concurrent misses of one key in one gateway
process share one computation; across processes (two caches here) the fill lock lets one compute
while the other waits for its answer, and a waiter whose wait runs out computes itself."""

import asyncio
import json

from cache_support import REDIS_URL, Counting, open_cache


async def test_concurrent_misses_in_one_process_share_one_computation(prefix):
    cache = open_cache(REDIS_URL, prefix)
    answer = Counting(delay=0.3)
    try:
        responses = await asyncio.gather(*(cache.churn_risk(11, answer) for _ in range(20)))
        assert answer.calls == 1
        assert {r.body for r in responses} == {responses[0].body}
        assert {r.headers["x-cache"] for r in responses} == {"miss"}
        assert (await cache.churn_risk(11, answer)).headers["x-cache"] == "hit"
    finally:
        await cache.close()


async def test_a_caller_that_gives_up_does_not_cancel_the_others(prefix):
    cache = open_cache(REDIS_URL, prefix)
    answer = Counting(delay=0.3)
    try:
        leaving = asyncio.ensure_future(cache.churn_risk(12, answer))
        staying = asyncio.ensure_future(cache.churn_risk(12, answer))
        await asyncio.sleep(0.1)
        leaving.cancel()
        response = await staying
        assert json.loads(response.body)["computed"] == 1 and answer.calls == 1
    finally:
        await cache.close()


async def test_another_process_waits_for_the_one_filling_the_key(prefix):
    first = open_cache(REDIS_URL, prefix)
    second = open_cache(REDIS_URL, prefix, cache_lock_wait_seconds=5)
    answer = Counting(delay=0.4)
    try:
        filling = asyncio.ensure_future(first.at_risk(answer, pagina=1))
        await asyncio.sleep(0.1)  # the first holds the fill lock now
        waiting = await second.at_risk(answer, pagina=1)
        filled = await filling
        assert answer.calls == 1
        assert waiting.body == filled.body
    finally:
        await first.close()
        await second.close()


async def test_a_waiter_computes_itself_when_the_filler_takes_too_long(prefix):
    first = open_cache(REDIS_URL, prefix)
    second = open_cache(REDIS_URL, prefix, cache_lock_wait_seconds=0.1)
    slow, quick = Counting("slow", delay=1.0), Counting("quick")
    try:
        filling = asyncio.ensure_future(first.at_risk(slow, pagina=2))
        await asyncio.sleep(0.2)
        response = await second.at_risk(quick, pagina=2)
        assert json.loads(response.body)["subject"] == "quick" and quick.calls == 1
        await filling
        assert slow.calls == 1
    finally:
        await first.close()
        await second.close()
