"""Before any model exists, the churn service says so with a status clients can act on."""

from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_churn.grpc_api import register
from frequenta_kit.grpc_errors import describe_rpc_error
from frequenta_kit.grpc_server import GrpcServer


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = GrpcServer(register, port=0)
    await server.start()
    async with grpc.aio.insecure_channel(server.address) as chan:
        yield chan
    await server.stop(grace=1)


async def test_risk_answers_unavailable_no_model(channel: grpc.aio.Channel) -> None:
    stub = churn_pb2_grpc.ChurnServiceStub(channel)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.GetChurnRisk(churn_pb2.GetChurnRiskRequest(member_id=1), timeout=5)
    info = describe_rpc_error(raised.value)
    assert info.status == grpc.StatusCode.UNAVAILABLE
    assert info.reason == "NO_MODEL"
    assert "No churn model" in info.message


async def test_there_are_no_model_versions_yet(channel: grpc.aio.Channel) -> None:
    stub = churn_pb2_grpc.ChurnServiceStub(channel)
    reply = await stub.ListModelVersions(churn_pb2.ListModelVersionsRequest(), timeout=5)
    assert list(reply.versions) == []


async def test_health_reports_serving(channel: grpc.aio.Channel) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    reply = await health.Check(
        health_pb2.HealthCheckRequest(service="frequenta.churn.v1.ChurnService"), timeout=5
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
