"""gRPC servicer of the churn service: decode, call the registry, encode."""

import grpc

from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_churn.models_registry import EmptyRegistry


class ChurnServicer(churn_pb2_grpc.ChurnServiceServicer):
    def __init__(self, registry: EmptyRegistry) -> None:
        self._registry = registry

    async def GetChurnRisk(
        self, request: churn_pb2.GetChurnRiskRequest, context: grpc.aio.ServicerContext
    ) -> churn_pb2.GetChurnRiskResponse:
        self._registry.serving()

    async def ListAtRiskMembers(
        self, request: churn_pb2.ListAtRiskMembersRequest, context: grpc.aio.ServicerContext
    ) -> churn_pb2.ListAtRiskMembersResponse:
        self._registry.serving()

    async def GetModelInfo(
        self, request: churn_pb2.GetModelInfoRequest, context: grpc.aio.ServicerContext
    ) -> churn_pb2.GetModelInfoResponse:
        self._registry.serving()

    async def ListModelVersions(
        self, request: churn_pb2.ListModelVersionsRequest, context: grpc.aio.ServicerContext
    ) -> churn_pb2.ListModelVersionsResponse:
        return churn_pb2.ListModelVersionsResponse(versions=self._registry.versions())


def register(server: grpc.aio.Server) -> list[str]:
    churn_pb2_grpc.add_ChurnServiceServicer_to_server(ChurnServicer(EmptyRegistry()), server)
    return [churn_pb2.DESCRIPTOR.services_by_name["ChurnService"].full_name]
