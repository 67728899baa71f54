"""gRPC servicer of the churn service: decode, call the use case, encode."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import grpc

from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_churn import mappers, retraining
from frequenta_churn.registry import NO_MODEL_MESSAGE, ModelRegistry
from frequenta_churn.uow import UnitOfWork
from frequenta_kit.errors import Unavailable

SERVICE_NAME = churn_pb2.DESCRIPTOR.services_by_name["ChurnService"].full_name

Context = grpc.aio.ServicerContext


@dataclass(frozen=True)
class Dependencies:
    uow: Callable[[], UnitOfWork]  # a fresh unit of work per call
    send_retraining: retraining.CommandSender
    clock: Callable[[], datetime]
    registry: ModelRegistry


class ChurnServicer(churn_pb2_grpc.ChurnServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def _risk_not_served_yet(self, context: Context) -> None:
        """Risk serving (scoring with the serving version, hot-swapped) is built next; until
        then a question that needs a model answers NO_MODEL while none serves, and
        UNIMPLEMENTED once one does."""
        if await self._deps.registry.serving_now() is None:
            raise Unavailable("NO_MODEL", NO_MODEL_MESSAGE)
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, "risk serving is not built yet")

    async def GetChurnRisk(
        self, request: churn_pb2.GetChurnRiskRequest, context: Context
    ) -> churn_pb2.GetChurnRiskResponse:
        await self._risk_not_served_yet(context)
        return churn_pb2.GetChurnRiskResponse()

    async def ListAtRiskMembers(
        self, request: churn_pb2.ListAtRiskMembersRequest, context: Context
    ) -> churn_pb2.ListAtRiskMembersResponse:
        await self._risk_not_served_yet(context)
        return churn_pb2.ListAtRiskMembersResponse()

    async def GetModelInfo(
        self, request: churn_pb2.GetModelInfoRequest, context: Context
    ) -> churn_pb2.GetModelInfoResponse:
        serving = await self._deps.registry.serving()
        return churn_pb2.GetModelInfoResponse(model=mappers.model_version(serving))

    async def ListModelVersions(
        self, request: churn_pb2.ListModelVersionsRequest, context: Context
    ) -> churn_pb2.ListModelVersionsResponse:
        versions = await self._deps.registry.versions()
        return churn_pb2.ListModelVersionsResponse(
            versions=[mappers.model_version(view) for view in versions]
        )

    async def PromoteModel(
        self, request: churn_pb2.PromoteModelRequest, context: Context
    ) -> churn_pb2.PromoteModelResponse:
        serving = await self._deps.registry.promote(request.version, force=request.force)
        return churn_pb2.PromoteModelResponse(model=mappers.model_version(serving))

    async def RollbackModel(
        self, request: churn_pb2.RollbackModelRequest, context: Context
    ) -> churn_pb2.RollbackModelResponse:
        serving = await self._deps.registry.rollback()
        return churn_pb2.RollbackModelResponse(model=mappers.model_version(serving))

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
