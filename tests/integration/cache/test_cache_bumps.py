"""The services bump the cache versions right after they commit: attendance for every change of
a member through any of its RPCs (registration, check-in, check-out, turnstile stream,
cancellation, which moves the at-risk list too), never for a refused one."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import redis.asyncio as redis

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server
from frequenta_kit.cache_versions import CacheVersions, VersionKeys, redis_client


@pytest.fixture
async def stub(attendance_settings, attendance_engine, versions) -> AsyncIterator:
    server = build_server(attendance_settings, attendance_engine, versions=versions)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield attendance_pb2_grpc.AttendanceServiceStub(channel)
    finally:
        await server.stop(grace=0)


async def version(client: redis.Redis, key: str) -> int:
    return int(await client.get(key) or 0)


async def register(stub) -> int:
    plans = await stub.ListPlans(pb.ListPlansRequest(), timeout=10)
    request = pb.RegisterMemberRequest(
        name="Cache", email=f"cache.{uuid.uuid4().hex[:12]}@example.com", plan_id=plans.plans[0].id
    )
    request.enrolled_at.FromDatetime(datetime.now(UTC) - timedelta(days=90))
    return (await stub.RegisterMember(request, timeout=10)).member.id


async def test_every_change_of_a_member_bumps_its_version(stub, client, prefix):
    keys = VersionKeys(prefix)
    member = await register(stub)
    member_key = keys.member(member)
    assert await version(client, member_key) == 1

    check_in = pb.RecordCheckInRequest(member_id=member)
    check_in.entered_at.FromDatetime(datetime.now(UTC) - timedelta(hours=3))
    await stub.RecordCheckIn(check_in, timeout=10)
    assert await version(client, member_key) == 2
    check_out = pb.RecordCheckOutRequest(member_id=member)
    check_out.exited_at.FromDatetime(datetime.now(UTC) - timedelta(hours=2))
    await stub.RecordCheckOut(check_out, timeout=10)
    assert await version(client, member_key) == 3

    async def passages():
        event = pb.TurnstileEvent(
            kind=pb.TURNSTILE_EVENT_KIND_ENTRY, member_id=member, device_id="catraca-01"
        )
        event.occurred_at.FromDatetime(datetime.now(UTC) - timedelta(minutes=1))
        yield event

    reply = await stub.StreamCheckIns(passages(), timeout=10)
    assert reply.accepted == 1, reply
    assert await version(client, member_key) == 4

    listed = await version(client, keys.risk_list)
    await stub.CancelMembership(
        pb.CancelMembershipRequest(member_id=member, reason=pb.CANCELLATION_REASON_PRICE),
        timeout=10,
    )
    assert await version(client, member_key) == 5
    assert await version(client, keys.risk_list) == listed + 1
    assert not await client.exists(keys.writing(member))  # every write mark lifted


async def test_a_refused_change_bumps_nothing(stub, client, prefix):
    member = await register(stub)
    with pytest.raises(grpc.aio.AioRpcError):  # no open visit to close
        await stub.RecordCheckOut(pb.RecordCheckOutRequest(member_id=member), timeout=10)
    assert await version(client, VersionKeys(prefix).member(member)) == 1


async def test_a_change_commits_even_when_redis_is_away(
    attendance_settings, attendance_engine, prefix, client
):
    """Redis refusing (a closed port): the check-in succeeds; the bump is owed."""
    away = CacheVersions(redis_client("redis://127.0.0.1:1/0", 0.2), prefix, retry_seconds=60)
    server = build_server(attendance_settings, attendance_engine, versions=away)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
            member = await register(stub)
            reply = await stub.RecordCheckIn(pb.RecordCheckInRequest(member_id=member), timeout=10)
            assert reply.visit.member_id == member
        assert away.owes_generation
    finally:
        await server.stop(grace=0)
        await away.close()


async def test_an_erasure_of_personal_data_bumps_the_member_and_the_list(stub, client, prefix):
    """The at-risk list shows names: an erasure changes it as well as the member's answers."""
    keys = VersionKeys(prefix)
    member = await register(stub)
    listed = await version(client, keys.risk_list)
    await stub.EraseMemberPersonalData(
        pb.EraseMemberPersonalDataRequest(member_id=member), timeout=10
    )
    assert await version(client, keys.member(member)) == 2
    assert await version(client, keys.risk_list) == listed + 1
