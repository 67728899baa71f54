"""RecordCheckOut over gRPC on real PostgreSQL."""

from datetime import timedelta

import grpc
from attendance_support import ago, assert_error, instant, now, rpc_error, ts

from frequenta.attendance.v1 import attendance_pb2 as pb

INVALID = grpc.StatusCode.INVALID_ARGUMENT
CONFLICT = grpc.StatusCode.FAILED_PRECONDITION


async def enter(attendance, member_id: int, entered) -> pb.Visit:
    request = pb.RecordCheckInRequest(member_id=member_id, entered_at=ts(entered))
    return (await attendance.RecordCheckIn(request)).visit


async def test_check_out_closes_the_open_visit_now(attendance, register_member):
    member = await register_member()
    opened = await enter(attendance, member.id, ago(minutes=95, seconds=30))
    before = now()
    closed = (
        await attendance.RecordCheckOut(
            pb.RecordCheckOutRequest(member_id=member.id, device_id="catraca-02")
        )
    ).visit
    assert closed.id == opened.id
    assert before <= instant(closed.exited_at) <= now()
    assert closed.duration_minutes in (95, 96)


async def test_check_out_at_a_given_instant(attendance, register_member):
    member = await register_member()
    entered = ago(hours=3)
    await enter(attendance, member.id, entered)
    exited = entered + timedelta(minutes=45, seconds=10)
    closed = (
        await attendance.RecordCheckOut(
            pb.RecordCheckOutRequest(member_id=member.id, exited_at=ts(exited))
        )
    ).visit
    assert (closed.exited_at, closed.duration_minutes) == (ts(exited), 45)

    error = await rpc_error(
        attendance.RecordCheckOut(pb.RecordCheckOutRequest(member_id=member.id))
    )
    assert_error(error, CONFLICT, "NO_OPEN_VISIT", "member_id")
    # The member can come in again after leaving.
    again = await enter(attendance, member.id, ago(minutes=5))
    assert again.id != closed.id


async def test_check_out_without_any_visit(attendance, register_member):
    member = await register_member()
    error = await rpc_error(
        attendance.RecordCheckOut(pb.RecordCheckOutRequest(member_id=member.id))
    )
    assert_error(error, CONFLICT, "NO_OPEN_VISIT", "member_id")


async def test_a_forgotten_check_out_cannot_be_closed_later(attendance, register_member):
    member = await register_member()
    await enter(attendance, member.id, ago(hours=7))
    error = await rpc_error(
        attendance.RecordCheckOut(pb.RecordCheckOutRequest(member_id=member.id))
    )
    assert_error(error, CONFLICT, "NO_OPEN_VISIT", "member_id")


async def test_an_exit_before_the_open_visit_entry_is_refused(attendance, register_member):
    member = await register_member()
    entered = ago(hours=1)
    await enter(attendance, member.id, entered)
    for exited in (entered - timedelta(minutes=1), entered):
        error = await rpc_error(
            attendance.RecordCheckOut(
                pb.RecordCheckOutRequest(member_id=member.id, exited_at=ts(exited))
            )
        )
        assert_error(error, INVALID, "EXIT_BEFORE_ENTRY", "exited_at")


async def test_an_exit_in_the_future_is_refused(attendance, register_member):
    member = await register_member()
    await enter(attendance, member.id, ago(hours=1))
    error = await rpc_error(
        attendance.RecordCheckOut(
            pb.RecordCheckOutRequest(
                member_id=member.id, exited_at=ts(now() + timedelta(minutes=6))
            )
        )
    )
    assert_error(error, INVALID, "TIMESTAMP_IN_FUTURE", "exited_at")


async def test_check_out_of_an_unknown_or_missing_member(attendance):
    error = await rpc_error(
        attendance.RecordCheckOut(pb.RecordCheckOutRequest(member_id=987_654_321))
    )
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")
    error = await rpc_error(attendance.RecordCheckOut(pb.RecordCheckOutRequest()))
    assert_error(error, INVALID, "VALIDATION_ERROR", "member_id")
    error = await rpc_error(
        attendance.RecordCheckOut(pb.RecordCheckOutRequest(member_id=1, device_id="d" * 101))
    )
    assert_error(error, INVALID, "VALIDATION_ERROR", "device_id")
