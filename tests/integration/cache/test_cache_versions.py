"""The response cache against the real Redis: an answer is stored under the versions read
before it was computed, served from there until a version moves, and then computed again."""

import asyncio
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from cache_support import REDIS_URL, Counting, open_cache
from prometheus_client import REGISTRY

from frequenta_gateway.cache.policy import FREQUENCIA, LISTA, RISCO


def body(response) -> dict:
    return json.loads(response.body)


def hits(route: str) -> float:
    value = REGISTRY.get_sample_value(
        "frequenta_cache_requests_total", {"route": route, "result": "hit"}
    )
    return value or 0.0


async def test_an_answer_is_stored_then_served_until_the_member_changes(prefix, versions):
    cache = open_cache(REDIS_URL, prefix)
    answer = Counting()
    try:
        hits_before = hits(FREQUENCIA)
        first = await cache.attendance(7, answer, pagina=1)
        second = await cache.attendance(7, answer, pagina=1)
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
        assert first.body == second.body and answer.calls == 1
        assert hits(FREQUENCIA) == hits_before + 1

        assert await versions.bump_members([7])
        third = await cache.attendance(7, answer, pagina=1)
        assert third.headers["x-cache"] == "miss" and body(third)["computed"] == 2
        assert (await cache.attendance(7, answer, pagina=1)).headers["x-cache"] == "hit"
    finally:
        await cache.close()


async def test_each_member_and_each_query_has_its_own_entry(prefix, versions):
    cache = open_cache(REDIS_URL, prefix)
    seven, eight = Counting("7"), Counting("8")
    try:
        await cache.attendance(7, seven, pagina=1, tamanho=50)
        await cache.attendance(7, seven, pagina=2, tamanho=50)
        await cache.attendance(8, eight, pagina=1, tamanho=50)
        assert (seven.calls, eight.calls) == (2, 1)
        # Parameters in another order, or unset ones, are the same query.
        again = await cache.attendance(7, seven, tamanho=50, pagina=1, data_inicio=None)
        assert again.headers["x-cache"] == "hit"

        await versions.bump_members([7])
        assert (await cache.attendance(8, eight, pagina=1, tamanho=50)).headers["x-cache"] == "hit"
        assert (await cache.attendance(7, seven, pagina=1, tamanho=50)).headers["x-cache"] == "miss"
    finally:
        await cache.close()


async def test_the_model_and_the_list_versions_reach_the_risk_answers(prefix, versions):
    cache = open_cache(REDIS_URL, prefix)
    attendance, risk, listing = Counting(), Counting(), Counting()

    async def states() -> tuple[str, str, str]:
        return (
            (await cache.attendance(5, attendance)).headers["x-cache"],
            (await cache.churn_risk(5, risk)).headers["x-cache"],
            (await cache.at_risk(listing, pagina=1)).headers["x-cache"],
        )

    try:
        assert await states() == ("miss", "miss", "miss")
        assert await states() == ("hit", "hit", "hit")
        await versions.bump_list()  # a snapshot rescored, a cancellation
        assert await states() == ("hit", "hit", "miss")
        await versions.bump_projected([5])  # churn's projection caught up with the member
        assert await states() == ("hit", "miss", "hit")
        await versions.bump_model()  # another model serves: every risk and the list
        assert await states() == ("hit", "miss", "miss")
        await versions.bump_members([5], risk_list=True)  # e.g. the member cancelled
        assert await states() == ("miss", "miss", "miss")
        await versions.bump_generation()  # everything
        assert await states() == ("miss", "miss", "miss")
        assert await states() == ("hit", "hit", "hit")
    finally:
        await cache.close()


async def test_entries_expire_after_their_routes_ttl(prefix, client):
    cache = open_cache(
        REDIS_URL,
        prefix,
        cache_frequencia_ttl_seconds=300,
        cache_risco_ttl_seconds=200,
        cache_lista_ttl_seconds=60,
    )
    try:
        await cache.attendance(3, Counting())
        await cache.churn_risk(3, Counting())
        await cache.at_risk(Counting(), nivel_minimo="alto")
    finally:
        await cache.close()
    ttls = {}
    for route in (FREQUENCIA, RISCO, LISTA):
        keys = [key async for key in client.scan_iter(f"{prefix}:c:{route}:*")]
        assert len(keys) == 1, keys
        ttls[route] = await client.ttl(keys[0])
    assert 250 < ttls[FREQUENCIA] <= 300 and 150 < ttls[RISCO] <= 200 and 10 < ttls[LISTA] <= 60


async def test_an_error_is_not_stored(prefix):
    cache = open_cache(REDIS_URL, prefix)
    calls = 0

    async def failing():
        nonlocal calls
        calls += 1
        raise LookupError("no such member")

    try:
        for _ in range(2):
            with pytest.raises(LookupError):
                await cache.churn_risk(9, failing)
        assert calls == 2
    finally:
        await cache.close()


async def test_the_key_carries_the_gym_local_date(prefix, client):
    cache = open_cache(REDIS_URL, prefix, gym_timezone="America/Sao_Paulo")
    try:
        await cache.churn_risk(4, Counting())
    finally:
        await cache.close()
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date().isoformat()
    [key] = [key.decode() async for key in client.scan_iter(f"{prefix}:c:{RISCO}:4:*")]
    assert f":{today}:" in key, key


async def test_while_a_change_is_being_committed_answers_are_neither_served_nor_stored(
    prefix, versions
):
    """Marked before the commit, lifted with the bump after it: a read in between (when the
    change may be committed but not yet bumped) gets a fresh answer, never a stored one."""
    cache = open_cache(REDIS_URL, prefix)
    answer = Counting()
    try:
        await cache.churn_risk(21, answer)
        assert (await cache.churn_risk(21, answer)).headers["x-cache"] == "hit"
        assert await versions.mark_members([21])  # two writers of the member at once
        assert await versions.mark_projected([21])
        assert await versions.mark_members([21])
        during = [await cache.churn_risk(21, answer) for _ in range(2)]
        assert [r.headers["x-cache"] for r in during] == ["bypass", "bypass"]
        assert [body(r)["computed"] for r in during] == [2, 3]
        assert (await cache.attendance(21, answer)).headers["x-cache"] == "bypass"

        await versions.bump_members([21], marked=True)  # one writer done, one in flight
        await versions.bump_projected([21], marked=True)
        assert (await cache.churn_risk(21, answer)).headers["x-cache"] == "bypass"
        await versions.bump_members([21], marked=True)
        assert (await cache.churn_risk(21, answer)).headers["x-cache"] == "miss"
        assert (await cache.churn_risk(21, answer)).headers["x-cache"] == "hit"
    finally:
        await cache.close()


async def test_a_mark_left_by_a_writer_that_died_expires(prefix, versions, monkeypatch):
    monkeypatch.setattr("frequenta_kit.cache_versions.WRITE_MARK_MS", 300)
    cache = open_cache(REDIS_URL, prefix)
    try:
        assert await versions.mark_members([22])
        assert (await cache.attendance(22, Counting())).headers["x-cache"] == "bypass"
        deadline = asyncio.get_running_loop().time() + 10
        while (await cache.attendance(22, Counting())).headers["x-cache"] == "bypass":
            assert asyncio.get_running_loop().time() < deadline, "the mark did not expire"
            await asyncio.sleep(0.1)
    finally:
        await cache.close()
