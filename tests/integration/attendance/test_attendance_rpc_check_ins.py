"""RecordCheckIn over gRPC on real PostgreSQL: every rule of docs/rules.md, "Visits"."""

from datetime import timedelta

import grpc
import pytest
from attendance_support import ago, assert_error, instant, now, rpc_error, ts

from frequenta.attendance.v1 import attendance_pb2 as pb

INVALID = grpc.StatusCode.INVALID_ARGUMENT
CONFLICT = grpc.StatusCode.FAILED_PRECONDITION


def check_in(member_id: int, entered=None, exited=None, **fields) -> pb.RecordCheckInRequest:
    request = pb.RecordCheckInRequest(member_id=member_id, **fields)
    if entered is not None:
        request.entered_at.CopyFrom(ts(entered))
    if exited is not None:
        request.exited_at.CopyFrom(ts(exited))
    return request


async def test_check_in_now_opens_a_visit_at_the_front_desk(attendance, register_member):
    member = await register_member()
    before = now()
    response = await attendance.RecordCheckIn(check_in(member.id, device_id="recepcao-1"))
    visit = response.visit
    assert not response.replayed
    assert visit.id > 0 and visit.member_id == member.id
    assert before <= instant(visit.entered_at) <= now()
    assert not visit.HasField("exited_at") and not visit.HasField("duration_minutes")
    assert visit.source == pb.CHECK_IN_SOURCE_FRONT_DESK
    assert (visit.device_id, visit.idempotency_key) == ("recepcao-1", "")


async def test_an_imported_finished_visit_has_its_duration_in_whole_minutes(
    attendance, register_member
):
    member = await register_member()
    entered = ago(days=2)
    exited = entered + timedelta(minutes=61, seconds=59)
    visit = (
        await attendance.RecordCheckIn(
            check_in(member.id, entered, exited, source=pb.CHECK_IN_SOURCE_IMPORT)
        )
    ).visit
    assert (visit.entered_at, visit.exited_at) == (ts(entered), ts(exited))
    assert visit.duration_minutes == 61
    assert visit.source == pb.CHECK_IN_SOURCE_IMPORT


async def test_a_visit_of_exactly_the_maximum_length_is_accepted(attendance, register_member):
    member = await register_member()
    entered = ago(days=3)
    visit = (
        await attendance.RecordCheckIn(check_in(member.id, entered, entered + timedelta(hours=6)))
    ).visit
    assert visit.duration_minutes == 360


async def test_check_in_of_an_unknown_member_is_not_found(attendance):
    error = await rpc_error(attendance.RecordCheckIn(check_in(987_654_321)))
    assert_error(error, grpc.StatusCode.NOT_FOUND, "MEMBER_NOT_FOUND", "member_id")


async def test_instants_beyond_the_clock_skew_are_refused(attendance, register_member):
    member = await register_member()
    error = await rpc_error(
        attendance.RecordCheckIn(check_in(member.id, now() + timedelta(minutes=10)))
    )
    assert_error(error, INVALID, "TIMESTAMP_IN_FUTURE", "entered_at")
    error = await rpc_error(
        attendance.RecordCheckIn(check_in(member.id, ago(hours=1), now() + timedelta(minutes=10)))
    )
    assert_error(error, INVALID, "TIMESTAMP_IN_FUTURE", "exited_at")


async def test_an_entry_within_the_clock_skew_is_accepted(attendance, register_member):
    member = await register_member()
    soon = now() + timedelta(minutes=2)
    visit = (await attendance.RecordCheckIn(check_in(member.id, soon))).visit
    assert visit.entered_at == ts(soon)


@pytest.mark.parametrize("gap", [timedelta(minutes=-30), timedelta(0)])
async def test_an_exit_not_after_the_entry_is_refused(attendance, register_member, gap):
    member = await register_member()
    entered = ago(days=1)
    error = await rpc_error(attendance.RecordCheckIn(check_in(member.id, entered, entered + gap)))
    assert_error(error, INVALID, "EXIT_BEFORE_ENTRY", "exited_at")


async def test_a_visit_longer_than_the_maximum_is_refused(attendance, register_member):
    member = await register_member()
    entered = ago(days=1)
    error = await rpc_error(
        attendance.RecordCheckIn(
            check_in(member.id, entered, entered + timedelta(hours=6, seconds=1))
        )
    )
    assert_error(error, INVALID, "VISIT_TOO_LONG", "exited_at")


async def test_check_in_while_a_visit_is_open_names_the_open_visit(attendance, register_member):
    member = await register_member()
    first = (await attendance.RecordCheckIn(check_in(member.id, ago(hours=1)))).visit
    error = await rpc_error(attendance.RecordCheckIn(check_in(member.id)))
    assert_error(error, CONFLICT, "VISIT_ALREADY_OPEN", "entered_at")
    assert str(first.id) in error.message
    # An earlier finished visit that would contain the open one's entry collides too.
    error = await rpc_error(
        attendance.RecordCheckIn(check_in(member.id, ago(hours=2), ago(minutes=30)))
    )
    assert_error(error, CONFLICT, "VISIT_OVERLAPS", "entered_at")


async def test_an_entry_inside_a_finished_visit_overlaps_it(attendance, register_member):
    member = await register_member()
    entered = ago(days=1)
    stored = (
        await attendance.RecordCheckIn(check_in(member.id, entered, entered + timedelta(hours=1)))
    ).visit
    for new_entry in (entered, entered + timedelta(minutes=59)):
        error = await rpc_error(attendance.RecordCheckIn(check_in(member.id, new_entry)))
        assert_error(error, CONFLICT, "VISIT_OVERLAPS", "entered_at")
        assert str(stored.id) in error.message
    # A finished visit that would contain the stored one's entry overlaps it as well.
    error = await rpc_error(
        attendance.RecordCheckIn(
            check_in(member.id, entered - timedelta(minutes=30), entered + timedelta(minutes=5))
        )
    )
    assert_error(error, CONFLICT, "VISIT_OVERLAPS", "entered_at")
    # Back to back is fine: the stored visit ends when the next one begins.
    after = await attendance.RecordCheckIn(check_in(member.id, entered + timedelta(hours=1)))
    assert after.visit.entered_at == ts(entered + timedelta(hours=1))


async def test_a_forgotten_check_out_does_not_block_the_next_check_in(attendance, register_member):
    member = await register_member()
    forgotten = (await attendance.RecordCheckIn(check_in(member.id, ago(hours=7)))).visit
    visit = (await attendance.RecordCheckIn(check_in(member.id))).visit
    assert visit.id != forgotten.id
    # It still occupies its own entry instant.
    error = await rpc_error(
        attendance.RecordCheckIn(check_in(member.id, instant(forgotten.entered_at)))
    )
    assert_error(error, CONFLICT, "VISIT_OVERLAPS", "entered_at")


async def test_a_cancelled_member_keeps_history_before_the_cancellation_only(
    attendance, register_member
):
    member = await register_member()
    cancelled_at = ago(days=5)
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(
            member_id=member.id, cancelled_at=ts(cancelled_at), reason=pb.CANCELLATION_REASON_PRICE
        )
    )
    for entered in (cancelled_at, ago(days=1), None):
        error = await rpc_error(attendance.RecordCheckIn(check_in(member.id, entered)))
        assert_error(error, CONFLICT, "MEMBERSHIP_CANCELLED", "entered_at")

    before = cancelled_at - timedelta(days=1)
    visit = (
        await attendance.RecordCheckIn(check_in(member.id, before, before + timedelta(hours=1)))
    ).visit
    assert visit.entered_at == ts(before)


async def test_an_entry_before_enrollment_is_refused(attendance, register_member):
    member = await register_member(enrolled_at=ago(days=10))
    error = await rpc_error(attendance.RecordCheckIn(check_in(member.id, ago(days=11))))
    assert_error(error, CONFLICT, "BEFORE_ENROLLMENT", "entered_at")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"member_id": 0}, "member_id"),
        ({"source": 17}, "source"),
        ({"device_id": "d" * 101}, "device_id"),
        ({"device_id": "catraca\x0701"}, "device_id"),
        ({"idempotency_key": "k" * 201}, "idempotency_key"),
        ({"idempotency_key": "   "}, "idempotency_key"),
    ],
)
async def test_bad_check_in_input_is_refused_naming_the_field(
    attendance, register_member, fields, field
):
    member = await register_member()
    request = check_in(member.id)
    for name, value in fields.items():
        setattr(request, name, value)
    error = await rpc_error(attendance.RecordCheckIn(request))
    assert_error(error, INVALID, "VALIDATION_ERROR", field)


async def test_malformed_or_zero_timestamps_are_refused(attendance, register_member):
    member = await register_member()
    request = check_in(member.id)
    request.entered_at.seconds, request.entered_at.nanos = int(ago(hours=1).timestamp()), -1
    assert_error(
        await rpc_error(attendance.RecordCheckIn(request)),
        INVALID,
        "VALIDATION_ERROR",
        "entered_at",
    )
    zero = check_in(member.id)
    zero.entered_at.SetInParent()
    assert_error(
        await rpc_error(attendance.RecordCheckIn(zero)), INVALID, "VALIDATION_ERROR", "entered_at"
    )
