"""The daily report's count of members at high churn risk, asked of the churn service.

``ListAtRiskMembers`` with the high band and a page of one: its ``total`` is the count of active
members in the band (churn's snapshot of every active member, docs/churn.md). Asked before the
build's transaction, within ``churn_deadline_seconds``. Whatever goes wrong (churn unreachable,
too slow, no model trained yet: NO_MODEL) the report is still built, with the count unknown
(None; unset in gRPC, null in REST, an empty CSV cell): a report is about attendance, and a
wrong 0 would read as "nobody at risk".
"""

import logging

import grpc

from frequenta.churn.v1 import churn_pb2
from frequenta.churn.v1.churn_pb2_grpc import ChurnServiceStub
from frequenta_kit import grpc_channels
from frequenta_kit.grpc_auth import Token
from frequenta_kit.grpc_errors import describe_rpc_error

log = logging.getLogger(__name__)

HIGH_RISK_REQUEST = churn_pb2.ListAtRiskMembersRequest(
    min_band=churn_pb2.RISK_BAND_HIGH, page=1, page_size=1
)


class ChurnHighRisk:
    """A HighRiskCounter over one gRPC channel to churn (opened lazily, closed by ``close``)."""

    def __init__(self, address: str, *, deadline: float, token: Token = None) -> None:
        self._address = address
        self._deadline = deadline
        self._token = token
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> ChurnServiceStub:
        if self._channel is None:
            reads = grpc_channels.retrying_reads(grpc_channels.CHURN_READS)
            self._channel = grpc_channels.channel(
                self._address, service_config=reads, token=self._token
            )
        return ChurnServiceStub(self._channel)

    async def __call__(self) -> int | None:
        try:
            reply = await self._stub().ListAtRiskMembers(HIGH_RISK_REQUEST, timeout=self._deadline)
        except grpc.aio.AioRpcError as error:
            described = describe_rpc_error(error)
            log.warning(
                "high-risk count unknown for this report: churn answered %s %s",
                described.status.name,
                described.reason or described.message,
            )
            return None
        return int(reply.total)

    async def close(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.close()
