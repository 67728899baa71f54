"""Before any model exists, the churn service says so with a status clients can act on."""

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from frequenta.churn.v1 import churn_pb2
from frequenta_kit.grpc_errors import describe_rpc_error


@pytest.mark.parametrize(
    ("method", "request_message"),
    [
        ("GetChurnRisk", churn_pb2.GetChurnRiskRequest(member_id=1)),
        ("ListAtRiskMembers", churn_pb2.ListAtRiskMembersRequest()),
        ("GetModelInfo", churn_pb2.GetModelInfoRequest()),
    ],
)
async def test_what_needs_a_model_answers_unavailable_no_model(
    churn, method: str, request_message
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await getattr(churn, method)(request_message, timeout=5)
    info = describe_rpc_error(raised.value)
    assert info.status == grpc.StatusCode.UNAVAILABLE
    assert info.reason == "NO_MODEL"
    assert "No churn model" in info.message


async def test_there_are_no_model_versions_yet(churn) -> None:
    reply = await churn.ListModelVersions(churn_pb2.ListModelVersionsRequest(), timeout=5)
    assert list(reply.versions) == []


async def test_health_reports_serving(churn_channel) -> None:
    health = health_pb2_grpc.HealthStub(churn_channel)
    reply = await health.Check(
        health_pb2.HealthCheckRequest(service="frequenta.churn.v1.ChurnService"), timeout=5
    )
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("version", ["1999-no-such", "2026-01-01T00-00-00Z-hgb\x00", "\x00"])
async def test_promoting_a_version_that_cannot_exist_is_not_found(churn, version: str) -> None:
    """A NUL in the label (fuzzing sent one) reached PostgreSQL, which cannot hold it: a 500."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await churn.PromoteModel(churn_pb2.PromoteModelRequest(version=version), timeout=5)
    info = describe_rpc_error(raised.value)
    assert (info.status, info.reason) == (grpc.StatusCode.NOT_FOUND, "MODEL_VERSION_NOT_FOUND")
