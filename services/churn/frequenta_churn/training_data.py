"""Training data streamed out of attendance over gRPC (ExportMembers, then ExportVisits), as
the model's records (ml.records). Attendance's database is never read: the export is the
contract.

The data ends at ``as_of`` (the moment the export starts): members enrolled by then, visits
entered before it, and a cancellation recorded after it (while the export ran) is not seen,
as if the export had been instantaneous.
"""

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

# Statuses that mean "attendance is away for now": the job waits and tries again.
TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


class NotEnoughData(Exception):
    """The history cannot train a model yet (the job fails with this message)."""


@dataclass(frozen=True, eq=False)
class ExportedGym:
    members: list[MemberRecord]
    visits: list[VisitRecord]
    as_of: datetime
    seconds: float

    @property
    def cancellations(self) -> int:
        return sum(member.cancelled_at is not None for member in self.members)


def _timestamp(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant.astimezone(UTC))
    return stamp


def member_record(member: pb.ExportedMember, as_of: datetime) -> MemberRecord:
    cancelled = None
    if member.HasField("cancelled_at"):
        cancelled = member.cancelled_at.ToDatetime(tzinfo=UTC)
        if cancelled >= as_of:
            cancelled = None
    return MemberRecord(
        member_id=member.member_id,
        plan_code=member.plan_code,
        plan_duration_months=member.plan_duration_months,
        enrolled_at=member.enrolled_at.ToDatetime(tzinfo=UTC),
        cancelled_at=cancelled,
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _instant(stamp: Timestamp) -> datetime:
    """Timestamp.ToDatetime(tzinfo=UTC), exactly, in a third of its time (it counts: one call
    or two per exported visit)."""
    return _EPOCH + timedelta(seconds=stamp.seconds, microseconds=stamp.nanos // 1000)


def visit_record(visit: pb.Visit) -> VisitRecord:
    return VisitRecord(
        member_id=visit.member_id,
        entered_at=_instant(visit.entered_at),
        exited_at=_instant(visit.exited_at) if visit.HasField("exited_at") else None,
    )


async def export_gym(
    attendance: AttendanceServiceStub, *, as_of: datetime, deadline: float
) -> ExportedGym:
    """Every member enrolled by ``as_of`` and every visit entered before it. UNAVAILABLE
    (ATTENDANCE_UNAVAILABLE) when attendance cannot be reached or a stream overruns its
    ``deadline`` (seconds)."""
    started = time.perf_counter()
    until = _timestamp(as_of)
    try:
        members = [
            member_record(member, as_of)
            async for batch in attendance.ExportMembers(
                pb.ExportMembersRequest(enrolled_before=until), timeout=deadline
            )
            for member in batch.members
        ]
        exported = time.perf_counter()
        visits = [
            visit_record(visit)
            async for batch in attendance.ExportVisits(
                pb.ExportVisitsRequest(until=until), timeout=deadline
            )
            for visit in batch.visits
        ]
    except grpc.aio.AioRpcError as error:
        if error.code() in TRANSIENT:
            raise Unavailable(
                "ATTENDANCE_UNAVAILABLE",
                f"the attendance export failed ({error.code().name}: {error.details()})",
            ) from error
        raise
    seconds = time.perf_counter() - started
    log.info(
        "exported %d members in %.1fs and %d visits in %.1fs from attendance (up to %s)",
        len(members),
        exported - started,
        len(visits),
        seconds - (exported - started),
        as_of.isoformat(),
    )
    return ExportedGym(members, visits, as_of, seconds)
