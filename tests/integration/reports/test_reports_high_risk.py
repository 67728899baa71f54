"""The daily report's `alunos_risco_alto` asked of churn: ListAtRiskMembers with the high band
(a fake churn server in-process answers); churn without a model, or unreachable, and the report
is still built with the count unknown (unset in gRPC)."""

import socket
import time
from collections.abc import AsyncIterator
from datetime import date

import grpc
import pytest
from reports_support import deliver, report_messages

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_attendance.reports.churn_risk import ChurnHighRisk
from frequenta_kit.errors import Unavailable
from frequenta_kit.grpc_server import GrpcServer


class FakeChurn(churn_pb2_grpc.ChurnServiceServicer):
    def __init__(self) -> None:
        self.total: int | None = 7  # None: no model trained
        self.requests: list[churn_pb2.ListAtRiskMembersRequest] = []

    async def ListAtRiskMembers(self, request, context):
        self.requests.append(request)
        if self.total is None:
            raise Unavailable("NO_MODEL", "No churn model has been trained yet.")
        return churn_pb2.ListAtRiskMembersResponse(total=self.total)


@pytest.fixture
async def churn() -> AsyncIterator[tuple[FakeChurn, str]]:
    fake = FakeChurn()

    def register(server: grpc.aio.Server) -> list[str]:
        churn_pb2_grpc.add_ChurnServiceServicer_to_server(fake, server)
        return ["frequenta.churn.v1.ChurnService"]

    server = GrpcServer(register)
    await server.start()
    try:
        yield fake, server.address
    finally:
        await server.stop(grace=0)


async def build(reports, settings, engine, day: date, counter: ChurnHighRisk) -> pb.DailyReport:
    queued = await reports.GenerateDailyReport(pb.GenerateDailyReportRequest(date=day.isoformat()))
    (message,) = await report_messages(engine, queued.job_id)
    try:
        await deliver(settings, engine, message, high_risk=counter)
    finally:
        await counter.close()
    reply = await reports.GetDailyReport(pb.GetDailyReportRequest(date=day.isoformat()))
    return reply.report


async def test_the_report_counts_the_members_churn_puts_in_the_high_band(
    reports, reports_settings, reports_engine, churn
):
    fake, address = churn
    report = await build(
        reports,
        reports_settings,
        reports_engine,
        date(2025, 8, 11),
        ChurnHighRisk(address, deadline=5),
    )
    assert report.HasField("high_risk_members") and report.high_risk_members == 7
    (asked,) = fake.requests
    assert (asked.min_band, asked.page_size) == (churn_pb2.RISK_BAND_HIGH, 1)
    fake.total = 0
    report = await build(
        reports,
        reports_settings,
        reports_engine,
        date(2025, 8, 11),
        ChurnHighRisk(address, deadline=5),
    )
    assert report.HasField("high_risk_members") and report.high_risk_members == 0


async def test_without_a_model_the_count_is_unknown(
    reports, reports_settings, reports_engine, churn
):
    fake, address = churn
    fake.total = None
    report = await build(
        reports,
        reports_settings,
        reports_engine,
        date(2025, 8, 12),
        ChurnHighRisk(address, deadline=5),
    )
    assert report.date == "2025-08-12" and not report.HasField("high_risk_members")


async def test_with_churn_unreachable_the_report_is_built_within_the_deadline(
    reports, reports_settings, reports_engine
):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{sock.getsockname()[1]}"
    started = time.monotonic()
    report = await build(
        reports,
        reports_settings,
        reports_engine,
        date(2025, 8, 13),
        ChurnHighRisk(closed, deadline=1),
    )
    assert time.monotonic() - started < 10
    assert report.date == "2025-08-13" and not report.HasField("high_risk_members")
