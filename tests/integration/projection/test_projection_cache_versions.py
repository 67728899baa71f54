"""Churn's projection bumps the cache versions of the members it changed, right after each
commit (risk is computed from the projection, which lags attendance): once per applied event,
not for a duplicate; a cancellation moves the at-risk list too; a rebuild's merges as well."""

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from projection_support import ago, cancelled, check_in, registered, unique_member_id

from frequenta_churn.projection.facts import VisitFacts
from frequenta_churn.projection.handlers import Outcome, apply_event
from frequenta_churn.uow import SqlAlchemyUnitOfWork
from frequenta_kit.cache_versions import CacheVersions, redis_client
from frequenta_kit.database import create_session_factory

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def versions() -> AsyncIterator[CacheVersions]:
    prefix = f"frequenta-test-{uuid.uuid4().hex[:8]}"
    bumps = CacheVersions(redis_client(REDIS_URL, 1.0), prefix)
    yield bumps
    await bumps.close()
    client = redis.Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def version(key: str) -> int:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return int(await client.get(key) or 0)
    finally:
        await client.aclose()


async def test_each_applied_event_bumps_its_member(shared_churn_database, versions):
    factory = create_session_factory(shared_churn_database.engine)

    def uow() -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(factory, versions)

    member = unique_member_id()
    key = versions.keys.projected_member(member)
    visit = check_in(member, member + 1, ago(days=2))
    assert await apply_event(uow=uow(), body=registered(member, ago(days=90)).SerializeToString())
    assert await version(key) == 1
    assert await apply_event(uow=uow(), body=visit.SerializeToString()) == Outcome.APPLIED
    assert await version(key) == 2
    assert await apply_event(uow=uow(), body=visit.SerializeToString()) == Outcome.DUPLICATE
    assert await version(key) == 2

    listed = await version(versions.keys.risk_list)
    await apply_event(uow=uow(), body=cancelled(member, ago(hours=1)).SerializeToString())
    assert await version(key) == 3
    assert await version(versions.keys.risk_list) == listed + 1
    assert await version(versions.keys.projecting(member)) == 0  # the write marks lifted


async def test_a_rebuild_batch_bumps_every_member_it_merged(shared_churn_database, versions):
    factory = create_session_factory(shared_churn_database.engine)
    first, second = unique_member_id(), unique_member_id()
    async with SqlAlchemyUnitOfWork(factory, versions) as uow:
        await uow.projection.merge_visits(
            [VisitFacts(first + 1, first, ago(days=3)), VisitFacts(second + 1, second, ago(days=1))]
        )
        await uow.commit()
    assert (
        await version(versions.keys.projected_member(first)),
        await version(versions.keys.projected_member(second)),
    ) == (1, 1)
