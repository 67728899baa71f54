"""Attendance's export messages as the model's records: the data ends where the export began."""

from datetime import UTC, datetime, timedelta

import numpy as np
from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_churn.ml.records import MemberRecord, VisitRecord
from frequenta_churn.training_data import member_record, visit_record

AS_OF = datetime(2026, 6, 1, 12, tzinfo=UTC)


def ts(instant: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(instant)
    return stamp


def exported(cancelled_at: datetime | None) -> pb.ExportedMember:
    member = pb.ExportedMember(
        member_id=7,
        plan_code="anual",
        plan_duration_months=12,
        enrolled_at=ts(AS_OF - timedelta(days=400)),
    )
    if cancelled_at is not None:
        member.cancelled_at.CopyFrom(ts(cancelled_at))
    return member


def test_members_keep_their_plan_enrollment_and_cancellation() -> None:
    cancelled = AS_OF - timedelta(days=3)
    assert member_record(exported(cancelled), AS_OF) == MemberRecord(
        7, "anual", 12, AS_OF - timedelta(days=400), cancelled
    )
    assert member_record(exported(None), AS_OF).cancelled_at is None


def test_a_cancellation_recorded_during_the_export_is_not_seen() -> None:
    assert member_record(exported(AS_OF + timedelta(seconds=5)), AS_OF).cancelled_at is None
    assert member_record(exported(AS_OF), AS_OF).cancelled_at is None


def test_visits_with_and_without_an_exit() -> None:
    entered = AS_OF - timedelta(hours=30)
    closed = pb.Visit(id=1, member_id=7, entered_at=ts(entered))
    closed.exited_at.CopyFrom(ts(entered + timedelta(minutes=55)))
    open_ = pb.Visit(id=2, member_id=7, entered_at=ts(entered))
    assert visit_record(closed) == VisitRecord(7, entered, entered + timedelta(minutes=55))
    assert visit_record(open_) == VisitRecord(7, entered, None)


def test_visit_instants_are_read_exactly_to_the_microsecond():
    rng = np.random.default_rng(3)
    for offset in rng.integers(-(10**15), 10**17, size=2000):
        instant = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(offset))
        visit = pb.Visit(member_id=1, entered_at=ts(instant), exited_at=ts(instant))
        record = visit_record(visit)
        assert record.entered_at == record.exited_at == instant
        assert record.entered_at == visit.entered_at.ToDatetime(tzinfo=UTC)
    assert visit_record(pb.Visit(member_id=1, entered_at=ts(AS_OF))).exited_at is None
