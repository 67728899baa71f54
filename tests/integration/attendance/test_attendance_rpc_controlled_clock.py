"""The service's "now" is an injected clock: with a clock the test moves, an open visit becomes
a forgotten check-out exactly when the maximum visit length has passed."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from attendance_support import assert_error, rpc_error, ts, unique_email

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1 import attendance_pb2_grpc
from frequenta_attendance.bootstrap import build_server

START = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)  # a Monday, 09:00 in Sao Paulo


@dataclass
class SteppedClock:
    """A hand-moved clock."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clock_and_stub(
    attendance_settings, attendance_engine
) -> AsyncIterator[tuple[SteppedClock, attendance_pb2_grpc.AttendanceServiceStub]]:
    clock = SteppedClock(START)
    server = build_server(attendance_settings, attendance_engine, clock=clock)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            yield clock, attendance_pb2_grpc.AttendanceServiceStub(channel)
    finally:
        await server.stop(grace=0)


async def test_an_open_visit_is_forgotten_after_the_maximum_length(clock_and_stub, default_plans):
    clock, stub = clock_and_stub
    member = (
        await stub.RegisterMember(
            pb.RegisterMemberRequest(
                name="Relógio",
                email=unique_email(),
                plan_id=default_plans["mensal"].id,
                enrolled_at=ts(START - timedelta(days=1)),
            )
        )
    ).member
    visit = (await stub.RecordCheckIn(pb.RecordCheckInRequest(member_id=member.id))).visit
    assert visit.entered_at == ts(START)

    clock.now = START + timedelta(hours=6) - timedelta(seconds=1)
    error = await rpc_error(stub.RecordCheckIn(pb.RecordCheckInRequest(member_id=member.id)))
    assert_error(error, grpc.StatusCode.FAILED_PRECONDITION, "VISIT_ALREADY_OPEN")

    clock.now = START + timedelta(hours=6)
    error = await rpc_error(stub.RecordCheckOut(pb.RecordCheckOutRequest(member_id=member.id)))
    assert_error(error, grpc.StatusCode.FAILED_PRECONDITION, "NO_OPEN_VISIT")
    later = (await stub.RecordCheckIn(pb.RecordCheckInRequest(member_id=member.id))).visit
    assert later.entered_at == ts(clock.now)

    clock.now = START + timedelta(days=3)
    summary = (await stub.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))).summary
    assert summary.as_of == ts(clock.now)
    assert (summary.total_visits, summary.days_since_last_visit) == (2, 3)
    assert summary.visits_per_week_last_4_weeks == 0.5
    assert not summary.HasField("average_visit_minutes")  # neither visit has an exit
