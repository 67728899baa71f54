"""gRPC servicer of the churn service: decode, call the use case, encode."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import grpc

from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_churn import mappers, retention_mappers, retraining
from frequenta_churn.registry import ModelRegistry
from frequenta_churn.retention import handlers as retention
from frequenta_churn.serving import handlers as risk
from frequenta_churn.uow import UnitOfWork

log = logging.getLogger(__name__)

SERVICE_NAME = churn_pb2.DESCRIPTOR.services_by_name["ChurnService"].full_name

Context = grpc.aio.ServicerContext


@dataclass(frozen=True)
class Dependencies:
    uow: Callable[[], UnitOfWork]  # a fresh unit of work per call
    send_retraining: retraining.CommandSender
    clock: Callable[[], datetime]
    registry: ModelRegistry
    serving: risk.Serving


class ChurnServicer(churn_pb2_grpc.ChurnServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    async def _swap_now(self) -> None:
        """This process serves the version it just made serving at once (the others within
        their poll interval). A failure here is the poll's to retry: the change is committed."""
        try:
            await self._deps.serving.holder.refresh()
        except Exception:
            log.warning("the serving model will be swapped at the next poll", exc_info=True)

    async def GetChurnRisk(
        self, request: churn_pb2.GetChurnRiskRequest, context: Context
    ) -> churn_pb2.GetChurnRiskResponse:
        found = await risk.get_risk(serving=self._deps.serving, member_id=request.member_id)
        return churn_pb2.GetChurnRiskResponse(risk=mappers.churn_risk(found))

    async def ListAtRiskMembers(
        self, request: churn_pb2.ListAtRiskMembersRequest, context: Context
    ) -> churn_pb2.ListAtRiskMembersResponse:
        page = await risk.list_at_risk(
            uow=self._deps.uow(),
            serving=self._deps.serving,
            min_band=mappers.min_band(request.min_band),
            plan_code=request.plan_code,
            max_tenure_days=request.max_tenure_days,
            page=request.page,
            page_size=request.page_size,
            min_tenure_days=request.min_tenure_days,
            daily_capacity=request.daily_capacity,
        )
        return mappers.at_risk_page(page)

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
        await self._swap_now()
        return churn_pb2.PromoteModelResponse(model=mappers.model_version(serving))

    async def RollbackModel(
        self, request: churn_pb2.RollbackModelRequest, context: Context
    ) -> churn_pb2.RollbackModelResponse:
        serving = await self._deps.registry.rollback()
        await self._swap_now()
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

    async def GetRiskHistory(
        self, request: churn_pb2.GetRiskHistoryRequest, context: Context
    ) -> churn_pb2.GetRiskHistoryResponse:
        serving = self._deps.serving
        days = await retention.risk_history(
            uow=self._deps.uow(),
            member_id=request.member_id,
            days=request.days,
            today=retention.local_today(self._deps.clock, serving.tz),
        )
        return churn_pb2.GetRiskHistoryResponse(
            member_id=request.member_id, days=[retention_mappers.daily_risk(d) for d in days]
        )

    async def RecordContact(
        self, request: churn_pb2.RecordContactRequest, context: Context
    ) -> churn_pb2.RecordContactResponse:
        stored = await retention.record_contact(
            uow=self._deps.uow(),
            contact=retention_mappers.new_contact(request),
            clock=self._deps.clock,
        )
        return churn_pb2.RecordContactResponse(contact=retention_mappers.contact(stored))

    async def ListContacts(
        self, request: churn_pb2.ListContactsRequest, context: Context
    ) -> churn_pb2.ListContactsResponse:
        found = await retention.list_contacts(uow=self._deps.uow(), member_id=request.member_id)
        return churn_pb2.ListContactsResponse(
            member_id=request.member_id, contacts=[retention_mappers.contact(c) for c in found]
        )

    async def GetRetentionEffect(
        self, request: churn_pb2.GetRetentionEffectRequest, context: Context
    ) -> churn_pb2.GetRetentionEffectResponse:
        effect = await retention.retention_effect(
            uow=self._deps.uow(), clock=self._deps.clock, policy=self._deps.serving.retention
        )
        return retention_mappers.retention_effect(effect)


def registrar(servicer: ChurnServicer) -> Callable[[grpc.aio.Server], list[str]]:
    def register(server: grpc.aio.Server) -> list[str]:
        churn_pb2_grpc.add_ChurnServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    return register
