"""gRPC servicer of the churn service: decode, call the use case, encode."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import grpc

from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_churn import mappers, retraining
from frequenta_churn.models_registry import EmptyRegistry
from frequenta_churn.uow import UnitOfWork

SERVICE_NAME = churn_pb2.DESCRIPTOR.services_by_name["ChurnService"].full_name

Context = grpc.aio.ServicerContext


@dataclass(frozen=True)
class Dependencies:
    uow: Callable[[], UnitOfWork]  # a fresh unit of work per call
    send_retraining: retraining.CommandSender
    clock: Callable[[], datetime]
    registry: EmptyRegistry


class ChurnServicer(churn_pb2_grpc.ChurnServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def GetChurnRisk(
        self, request: churn_pb2.GetChurnRiskRequest, context: Context
    ) -> churn_pb2.GetChurnRiskResponse:
        self._deps.registry.serving()

    async def ListAtRiskMembers(
        self, request: churn_pb2.ListAtRiskMembersRequest, context: Context
    ) -> churn_pb2.ListAtRiskMembersResponse:
        self._deps.registry.serving()

    async def GetModelInfo(
        self, request: churn_pb2.GetModelInfoRequest, context: Context
    ) -> churn_pb2.GetModelInfoResponse:
        self._deps.registry.serving()

    async def ListModelVersions(
        self, request: churn_pb2.ListModelVersionsRequest, context: Context
    ) -> churn_pb2.ListModelVersionsResponse:
        return churn_pb2.ListModelVersionsResponse(versions=self._deps.registry.versions())

    async def RequestRetraining(
        self, request: churn_pb2.RequestRetrainingRequest, context: Context
    ) -> churn_pb2.RequestRetrainingResponse:
        job = await retraining.request_retraining(
            uow=self._deps.uow(),
            send=self._deps.send_retraining,
            clock=self._deps.clock,
            promote_if_better=request.promote_if_better,
        )
        return churn_pb2.RequestRetrainingResponse(job=mappers.retraining_job(job))

    async def GetRetrainingJob(
        self, request: churn_pb2.GetRetrainingJobRequest, context: Context
    ) -> churn_pb2.GetRetrainingJobResponse:
        job = await retraining.get_retraining_job(uow=self._deps.uow(), job_id=request.job_id)
        return churn_pb2.GetRetrainingJobResponse(job=mappers.retraining_job(job))


def registrar(servicer: ChurnServicer) -> Callable[[grpc.aio.Server], list[str]]:
    def register(server: grpc.aio.Server) -> list[str]:
        churn_pb2_grpc.add_ChurnServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    return register
