"""The AttendanceService servicer: decode the request, call the use case, encode the answer.

Domain errors raised by the use cases become gRPC statuses in frequenta_kit's interceptor,
except in StreamCheckIns, where each event's refusal is that event's result.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance import import_mappers, mappers
from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors
from frequenta_attendance.domain.batch import MAX_BATCH_ROWS
from frequenta_attendance.domain.calendar import local_date
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.handlers import (
    attendance,
    exports,
    imports,
    members,
    personal_data,
    plans,
    turnstile,
    visits,
)
from frequenta_attendance.models import Member
from frequenta_attendance.reports import handlers as reports
from frequenta_attendance.reports import mappers as report_mappers
from frequenta_attendance.retention_grpc import RetentionRpcs
from frequenta_attendance.uow import UnitOfWork
from frequenta_kit.errors import DomainError

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AttendanceService"].full_name

Context = grpc.aio.ServicerContext


@dataclass(frozen=True)
class ImportLimits:
    """Sizes of bulk imports and turnstile streams (settings)."""

    max_rows: int = MAX_BATCH_ROWS
    chunk_rows: int = 5000
    stream_max_events: int = 100_000


@dataclass(frozen=True)
class Dependencies:
    """What the use cases need, wired once by the bootstrap."""

    uow: Callable[[], UnitOfWork]  # a fresh unit of work per call
    clock: Clock
    rules: GymRules
    limits: ImportLimits = field(default_factory=ImportLimits)


class AttendanceServicer(RetentionRpcs, attendance_pb2_grpc.AttendanceServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def _timed(self) -> dict[str, Any]:
        """The arguments of a use case that depends on time: a fresh unit of work, the clock,
        the gym's rules."""
        return {"uow": self._deps.uow(), "clock": self._deps.clock, "rules": self._deps.rules}

    def _member(self, member: Member) -> pb.Member:
        """The member on the wire, its next renewal counted from today in the gym's calendar."""
        tz = self._deps.rules.tz
        return mappers.member(member, today=local_date(self._deps.clock(), tz), tz=tz)

    # -- members ---------------------------------------------------------------------------------

    async def RegisterMember(
        self, request: pb.RegisterMemberRequest, context: Context
    ) -> pb.RegisterMemberResponse:
        member = await members.register_member(
            **self._timed(),
            name=request.name,
            email=request.email,
            phone=request.phone,
            birth_date=request.birth_date,
            plan_id=request.plan_id,
            enrolled_at=mappers.instant(request, "enrolled_at"),
        )
        return pb.RegisterMemberResponse(member=self._member(member))

    async def GetMember(
        self, request: pb.GetMemberRequest, context: Context
    ) -> pb.GetMemberResponse:
        member = await members.get_member(uow=self._deps.uow(), member_id=request.member_id)
        return pb.GetMemberResponse(member=self._member(member))

    async def ListMembers(
        self, request: pb.ListMembersRequest, context: Context
    ) -> pb.ListMembersResponse:
        found, total = await members.list_members(
            uow=self._deps.uow(),
            plan_id=request.plan_id,
            status=mappers.member_status(request.status),
            query=request.query,
            page=request.page,
            page_size=request.page_size,
            member_ids=request.member_ids,
        )
        return pb.ListMembersResponse(members=[self._member(m) for m in found], total=total)

    async def CancelMembership(
        self, request: pb.CancelMembershipRequest, context: Context
    ) -> pb.CancelMembershipResponse:
        member = await members.cancel_membership(
            **self._timed(),
            member_id=request.member_id,
            cancelled_at=mappers.instant(request, "cancelled_at"),
            reason=mappers.cancellation_reason(request.reason),
            note=request.note,
        )
        return pb.CancelMembershipResponse(member=self._member(member))

    async def EraseMemberPersonalData(
        self, request: pb.EraseMemberPersonalDataRequest, context: Context
    ) -> pb.EraseMemberPersonalDataResponse:
        erasure = await personal_data.erase_member_personal_data(
            uow=self._deps.uow(),
            clock=self._deps.clock,
            member_id=request.member_id,
            reason=request.reason,
        )
        return pb.EraseMemberPersonalDataResponse(
            member=self._member(erasure.member), already_erased=erasure.already_erased
        )

    # -- plans -----------------------------------------------------------------------------------

    async def ListPlans(
        self, request: pb.ListPlansRequest, context: Context
    ) -> pb.ListPlansResponse:
        found = await plans.list_plans(
            uow=self._deps.uow(), include_inactive=request.include_inactive
        )
        return pb.ListPlansResponse(plans=[mappers.plan(p) for p in found])

    async def CreatePlan(
        self, request: pb.CreatePlanRequest, context: Context
    ) -> pb.CreatePlanResponse:
        plan = await plans.create_plan(
            uow=self._deps.uow(),
            code=request.code,
            name=request.name,
            duration_months=request.duration_months,
            price_cents=request.price_cents,
        )
        return pb.CreatePlanResponse(plan=mappers.plan(plan))

    # -- visits ----------------------------------------------------------------------------------

    async def RecordCheckIn(
        self, request: pb.RecordCheckInRequest, context: Context
    ) -> pb.RecordCheckInResponse:
        result = await visits.record_check_in(
            **self._timed(),
            member_id=request.member_id,
            entered_at=mappers.instant(request, "entered_at"),
            exited_at=mappers.instant(request, "exited_at"),
            source=mappers.check_in_source(request.source),
            device_id=request.device_id,
            idempotency_key=request.idempotency_key,
        )
        return pb.RecordCheckInResponse(visit=mappers.visit(result.visit), replayed=result.replayed)

    async def RecordCheckOut(
        self, request: pb.RecordCheckOutRequest, context: Context
    ) -> pb.RecordCheckOutResponse:
        visit = await visits.record_check_out(
            **self._timed(),
            member_id=request.member_id,
            exited_at=mappers.instant(request, "exited_at"),
            device_id=request.device_id,
        )
        return pb.RecordCheckOutResponse(visit=mappers.visit(visit))

    async def StreamCheckIns(
        self, request_iterator: AsyncIterator[pb.TurnstileEvent], context: Context
    ) -> pb.StreamCheckInsResponse:
        """Each event in its own transaction, in stream order; its refusal is its result."""
        passages = turnstile.TurnstileStream(
            uow=self._deps.uow, clock=self._deps.clock, rules=self._deps.rules
        )
        count = 0
        async for event in request_iterator:
            remaining = context.time_remaining()
            if remaining is not None and remaining <= 0:
                await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded")
            if count >= self._deps.limits.stream_max_events:
                raise errors.stream_too_long(self._deps.limits.stream_max_events)
            try:
                await passages.add(count, import_mappers.passage(event))
            except DomainError as error:  # an instant that cannot be decoded
                passages.refuse(count, error)
            count += 1
        results = [
            import_mappers.passage_result(index, outcome)
            for index, outcome in enumerate(await passages.finish())
        ]
        return pb.StreamCheckInsResponse(
            accepted=sum(r.accepted for r in results),
            duplicates=sum(r.duplicate for r in results),
            rejected=sum(not (r.accepted or r.duplicate) for r in results),
            results=results,
        )

    # -- bulk imports ----------------------------------------------------------------------------

    async def SubmitCheckInBatch(
        self, request: pb.SubmitCheckInBatchRequest, context: Context
    ) -> pb.SubmitCheckInBatchResponse:
        job = await imports.submit_batch(
            uow=self._deps.uow(),
            clock=self._deps.clock,
            rows=import_mappers.batch_rows(request),
            source=mappers.check_in_source(request.source),
            max_rows=self._deps.limits.max_rows,
            chunk_rows=self._deps.limits.chunk_rows,
        )
        return pb.SubmitCheckInBatchResponse(job=import_mappers.batch_job(job))

    async def GetCheckInBatch(
        self, request: pb.GetCheckInBatchRequest, context: Context
    ) -> pb.GetCheckInBatchResponse:
        job = await imports.get_batch(uow=self._deps.uow(), job_id=request.job_id)
        return pb.GetCheckInBatchResponse(job=import_mappers.batch_job(job))

    # -- attendance ------------------------------------------------------------------------------

    async def GetAttendance(
        self, request: pb.GetAttendanceRequest, context: Context
    ) -> pb.GetAttendanceResponse:
        found = await attendance.get_attendance(
            **self._timed(),
            member_id=request.member_id,
            from_date=request.from_date,
            to_date=request.to_date,
            page=request.page,
            page_size=request.page_size,
        )
        return mappers.attendance(found)

    # -- exports ---------------------------------------------------------------------------------

    async def ExportMembers(
        self, request: pb.ExportMembersRequest, context: Context
    ) -> AsyncIterator[pb.ExportMembersResponse]:
        found = exports.export_members(
            uow=self._deps.uow(), enrolled_before=mappers.instant(request, "enrolled_before")
        )
        async for batch in found:
            yield pb.ExportMembersResponse(members=[mappers.exported_member(m) for m in batch])

    async def ExportVisits(
        self, request: pb.ExportVisitsRequest, context: Context
    ) -> AsyncIterator[pb.ExportVisitsResponse]:
        found = exports.export_visits(
            uow=self._deps.uow(),
            clock=self._deps.clock,
            since=mappers.instant(request, "since"),
            until=mappers.instant(request, "until"),
        )
        async for batch in found:
            yield pb.ExportVisitsResponse(visits=[mappers.visit(v) for v in batch])

    # -- daily reports ---------------------------------------------------------------------------

    async def GenerateDailyReport(
        self, request: pb.GenerateDailyReportRequest, context: Context
    ) -> pb.GenerateDailyReportResponse:
        queued = await reports.request_report(**self._timed(), day_text=request.date)
        return pb.GenerateDailyReportResponse(
            job_id=str(queued.job_id), date=queued.day.isoformat()
        )

    async def GetDailyReport(
        self, request: pb.GetDailyReportRequest, context: Context
    ) -> pb.GetDailyReportResponse:
        report = await reports.get_report(uow=self._deps.uow(), day_text=request.date)
        return pb.GetDailyReportResponse(report=report_mappers.daily_report(report))

    async def ListDailyReports(
        self, request: pb.ListDailyReportsRequest, context: Context
    ) -> pb.ListDailyReportsResponse:
        found = await reports.list_reports(
            **self._timed(), from_text=request.from_date, to_text=request.to_date
        )
        return pb.ListDailyReportsResponse(
            reports=[report_mappers.daily_report(report) for report in found]
        )


def registrar(servicer: AttendanceServicer) -> Callable[[grpc.aio.Server], list[str]]:
    """The GrpcServer registrar that adds ``servicer`` and names its service."""

    def register(server: grpc.aio.Server) -> list[str]:
        attendance_pb2_grpc.add_AttendanceServiceServicer_to_server(servicer, server)
        return [SERVICE_NAME]

    return register
