"""The project's gRPC channels and server plumbing over a real in-process server: the request id
travels in metadata, calls are counted, a server that is down fails a read quickly with
UNAVAILABLE (not at the deadline), and the same channel works again once it is back."""

import json

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import REGISTRY

from frequenta.attendance.v1 import attendance_pb2
from frequenta.churn.v1 import churn_pb2
from frequenta_kit import grpc_channels, request_ids
from frequenta_kit.grpc_server import GrpcServer
from frequenta_ops.stack import free_port

ECHO = "/frequenta.test.Echo/RequestId"
DEADLINE = 20.0


def _echo_handler() -> grpc.GenericRpcHandler:
    async def request_id(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return (request_ids.current() or "").encode()

    handler = grpc.unary_unary_rpc_method_handler(request_id)
    return grpc.method_handlers_generic_handler("frequenta.test.Echo", {"RequestId": handler})


def _register(server: grpc.aio.Server) -> list[str]:
    server.add_generic_rpc_handlers((_echo_handler(),))
    return []


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_reads_named_exist_and_writes_are_not_among_them():
    services = {
        grpc_channels.ATTENDANCE_READS: attendance_pb2.DESCRIPTOR.services_by_name[
            "AttendanceService"
        ],
        grpc_channels.CHURN_READS: churn_pb2.DESCRIPTOR.services_by_name["ChurnService"],
    }
    for reads, descriptor in services.items():
        assert reads.service == descriptor.full_name
        assert set(reads.methods) <= set(descriptor.methods_by_name), reads
    for write in ("RecordCheckIn", "RecordCheckOut", "RegisterMember", "SubmitCheckInBatch"):
        assert write not in grpc_channels.ATTENDANCE_READS.methods
    config = json.loads(grpc_channels.retrying_reads(grpc_channels.CHURN_READS))
    policy = config["methodConfig"][0]["retryPolicy"]
    assert policy["retryableStatusCodes"] == ["UNAVAILABLE"]
    assert policy["maxAttempts"] == grpc_channels.MAX_ATTEMPTS


async def test_request_id_travels_and_calls_are_counted(poll):
    server = GrpcServer(_register, port=0)
    await server.start()
    try:
        async with grpc_channels.channel(server.address) as channel:
            echo = channel.unary_unary(ECHO)
            before = _sample(
                "frequenta_grpc_server_calls_total",
                service="frequenta.test.Echo",
                method="RequestId",
                code="OK",
            )
            with request_ids.bound("req-42.abc"):
                assert await echo(b"", timeout=DEADLINE) == b"req-42.abc"
            assert await echo(b"", timeout=DEADLINE) == b""  # no id: none sent
            after = _sample(
                "frequenta_grpc_server_calls_total",
                service="frequenta.test.Echo",
                method="RequestId",
                code="OK",
            )
            assert after == before + 2

            async def client_counted() -> bool:
                labels = {"service": "frequenta.test.Echo", "method": "RequestId", "code": "OK"}
                return _sample("frequenta_grpc_client_calls_total", **labels) >= 2

            await poll(client_counted, what="the client-side counter")
    finally:
        await server.stop(0)


async def test_a_server_down_fails_fast_with_unavailable_and_the_channel_recovers(poll):
    port = free_port()
    server = GrpcServer(_register, port=port)
    await server.start()
    reads = grpc_channels.retrying_reads(grpc_channels.HEALTH_READS)
    async with grpc_channels.channel(f"127.0.0.1:{port}", service_config=reads) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        check = health_pb2.HealthCheckRequest(service="")
        assert (await health.Check(check, timeout=DEADLINE)).status == 1
        await server.stop(0)

        with pytest.raises(grpc.aio.AioRpcError) as failed:
            await health.Check(check, timeout=DEADLINE)
        # UNAVAILABLE, not DEADLINE_EXCEEDED: the call did not wait for the server to return.
        assert failed.value.code() == grpc.StatusCode.UNAVAILABLE

        server = GrpcServer(_register, port=port)
        await server.start()
        try:

            async def serving() -> bool:
                try:
                    return (await health.Check(check, timeout=DEADLINE)).status == 1
                except grpc.aio.AioRpcError:
                    return False

            await poll(serving, within=30, interval=0.2, what="the same channel to reconnect")
        finally:
            await server.stop(0)


async def test_the_channel_sends_the_internal_token_and_refusals_are_counted():
    token = "t0ken-" + "x" * 20
    server = GrpcServer(_register, port=0, internal_token=token)
    await server.start()
    labels = {"service": "frequenta.test.Echo", "method": "RequestId", "code": "UNAUTHENTICATED"}
    try:
        before = _sample("frequenta_grpc_server_calls_total", **labels)
        async with grpc_channels.channel(server.address, token=token) as channel:
            with request_ids.bound("with-token"):
                assert await channel.unary_unary(ECHO)(b"", timeout=DEADLINE) == b"with-token"
        async with grpc_channels.channel(server.address) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await channel.unary_unary(ECHO)(b"", timeout=DEADLINE)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert _sample("frequenta_grpc_server_calls_total", **labels) == before + 1
    finally:
        await server.stop(0)


async def test_reads_are_retried_on_unavailable_and_writes_are_not():
    attempts = {"Read": 0, "Write": 0}

    def flaky(name: str):  # noqa: ANN202
        async def behavior(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            attempts[name] += 1
            if attempts[name] == 1:
                await context.abort(grpc.StatusCode.UNAVAILABLE, "busy for a moment")
            return b"ok"

        return grpc.unary_unary_rpc_method_handler(behavior)

    def register(server: grpc.aio.Server) -> list[str]:
        handlers = {name: flaky(name) for name in attempts}
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("frequenta.test.Flaky", handlers),)
        )
        return []

    server = GrpcServer(register, port=0)
    await server.start()
    reads = grpc_channels.retrying_reads(grpc_channels.Reads("frequenta.test.Flaky", ("Read",)))
    try:
        async with grpc_channels.channel(server.address, service_config=reads) as channel:
            assert await channel.unary_unary("/frequenta.test.Flaky/Read")(b"", timeout=DEADLINE)
            with pytest.raises(grpc.aio.AioRpcError) as failed:
                await channel.unary_unary("/frequenta.test.Flaky/Write")(b"", timeout=DEADLINE)
        assert failed.value.code() == grpc.StatusCode.UNAVAILABLE
        assert attempts == {"Read": 2, "Write": 1}
    finally:
        await server.stop(0)
