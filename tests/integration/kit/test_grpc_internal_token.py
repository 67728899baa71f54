"""The internal token of the gRPC services (frequenta_kit.grpc_auth) on a real grpc.aio server
on a free port: without the token or with another one a call is UNAUTHENTICATED with its
ErrorInfo reason; with it the call goes through, unary and streaming; health stays open."""

import asyncio
import secrets
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_kit import grpc_channels
from frequenta_kit.grpc_auth import (
    TOKEN_INVALID,
    TOKEN_MISSING,
    internal_sync_channel,
)
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_kit.grpc_server import GrpcServer

TOKEN = secrets.token_hex(16)
SERVICE = "frequenta.attendance.v1.AttendanceService"


class FakeAttendance(attendance_pb2_grpc.AttendanceServiceServicer):
    """Answers a unary, a server-streaming and a client-streaming call; counts what it ran."""

    def __init__(self) -> None:
        self.calls = 0

    async def ListPlans(self, request, context):
        self.calls += 1
        return pb.ListPlansResponse(plans=[pb.Plan(id=1, code="mensal")])

    async def ExportMembers(self, request, context):
        self.calls += 1
        yield pb.ExportMembersResponse()

    async def StreamCheckIns(self, request_iterator, context):
        self.calls += 1
        events = [event async for event in request_iterator]
        return pb.StreamCheckInsResponse(accepted=len(events))


@pytest.fixture
async def served() -> AsyncIterator[tuple[FakeAttendance, str]]:
    fake = FakeAttendance()

    def register(server: grpc.aio.Server) -> list[str]:
        attendance_pb2_grpc.add_AttendanceServiceServicer_to_server(fake, server)
        return [SERVICE]

    server = GrpcServer(register, internal_token=TOKEN)
    await server.start()
    try:
        yield fake, server.address
    finally:
        await server.stop(grace=0)


async def refused(call) -> tuple[grpc.StatusCode, str | None]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    described = describe_rpc_error(caught.value)
    return described.status, described.reason


async def test_a_call_without_the_token_is_unauthenticated_with_its_reason(served) -> None:
    fake, address = served
    async with grpc.aio.insecure_channel(address) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        status, reason = await refused(stub.ListPlans(pb.ListPlansRequest(), timeout=5))
    assert (status, reason) == (grpc.StatusCode.UNAUTHENTICATED, TOKEN_MISSING)
    assert fake.calls == 0


async def test_a_call_with_another_token_is_unauthenticated(served) -> None:
    fake, address = served
    async with grpc_channels.channel(address, token=secrets.token_hex(16)) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        status, reason = await refused(stub.ListPlans(pb.ListPlansRequest(), timeout=5))
    assert (status, reason) == (grpc.StatusCode.UNAUTHENTICATED, TOKEN_INVALID)
    assert fake.calls == 0


async def test_a_token_sent_by_hand_in_metadata_is_checked_too(served) -> None:
    fake, address = served
    async with grpc.aio.insecure_channel(address) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        status, reason = await refused(
            stub.ListPlans(pb.ListPlansRequest(), timeout=5, metadata=[("authorization", TOKEN)])
        )
        assert (status, reason) == (grpc.StatusCode.UNAUTHENTICATED, TOKEN_INVALID)
        reply = await stub.ListPlans(
            pb.ListPlansRequest(), timeout=5, metadata=[("authorization", f"Bearer {TOKEN}")]
        )
    assert [plan.code for plan in reply.plans] == ["mensal"]
    assert fake.calls == 1


async def test_streaming_calls_without_the_token_are_refused_before_running(served) -> None:
    fake, address = served

    async def events():
        yield pb.TurnstileEvent(member_id=1)

    async with grpc.aio.insecure_channel(address) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        exported = stub.ExportMembers(pb.ExportMembersRequest(), timeout=5)
        status, reason = await refused(exported.read())
        assert (status, reason) == (grpc.StatusCode.UNAUTHENTICATED, TOKEN_MISSING)
        status, reason = await refused(stub.StreamCheckIns(events(), timeout=5))
        assert (status, reason) == (grpc.StatusCode.UNAUTHENTICATED, TOKEN_MISSING)
    assert fake.calls == 0


async def test_the_right_token_lets_every_kind_of_call_through(served) -> None:
    fake, address = served

    async def events():
        for member_id in (1, 2):
            yield pb.TurnstileEvent(member_id=member_id)

    async with grpc_channels.channel(address, token=TOKEN) as channel:
        stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
        plans = await stub.ListPlans(pb.ListPlansRequest(), timeout=5)
        exported = [reply async for reply in stub.ExportMembers(pb.ExportMembersRequest())]
        streamed = await stub.StreamCheckIns(events(), timeout=5)
    assert [plan.code for plan in plans.plans] == ["mensal"]
    assert len(exported) == 1
    assert streamed.accepted == 2
    assert fake.calls == 3


async def test_the_blocking_channel_sends_the_token_too(served) -> None:
    _, address = served

    def list_plans() -> pb.ListPlansResponse:
        with internal_sync_channel(address, TOKEN) as channel:
            stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
            return stub.ListPlans(pb.ListPlansRequest(), timeout=5)

    reply = await asyncio.to_thread(list_plans)  # the server runs on this thread's loop
    assert [plan.code for plan in reply.plans] == ["mensal"]


async def test_health_answers_without_the_token(served) -> None:
    _, address = served
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        overall = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
        named = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=5)
    assert overall.status == named.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_needs_the_token(served) -> None:
    _, address = served
    request = reflection_pb2.ServerReflectionRequest(list_services="")

    async def list_services(channel: grpc.aio.Channel) -> list[str]:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        call = stub.ServerReflectionInfo(iter([request]), timeout=5)
        reply = await call.read()
        return [service.name for service in reply.list_services_response.service]

    async with grpc.aio.insecure_channel(address) as channel:
        status, reason = await refused(list_services(channel))
    assert (status, reason) == (grpc.StatusCode.UNAUTHENTICATED, TOKEN_MISSING)
    async with grpc_channels.channel(address, token=TOKEN) as channel:
        assert SERVICE in await list_services(channel)
