"""StreamCheckIns: each turnstile event is a single check-in (entry) or check-out (exit) with its
own outcome, answered in stream order once the client closes the stream; history buffered
offline keeps its timestamps; re-sent events are duplicates, not errors."""

import asyncio
from datetime import timedelta

import grpc
from attendance_support import instant, now, rpc_error, ts, unique_code

from frequenta.attendance.v1 import attendance_pb2 as pb

ENTRY, EXIT = pb.TURNSTILE_EVENT_KIND_ENTRY, pb.TURNSTILE_EVENT_KIND_EXIT


def event(kind: int, member_id: int, at=None, *, key: str = "", device: str = "catraca-01"):
    message = pb.TurnstileEvent(kind=kind, member_id=member_id, device_id=device)
    if at is not None:
        message.occurred_at.CopyFrom(ts(at))
    if key:
        message.idempotency_key = key
    return message


async def stream(*events: pb.TurnstileEvent):
    for each in events:
        yield each


def outcomes(reply: pb.StreamCheckInsResponse) -> list[tuple[int, str]]:
    """(index, "accepted" | "duplicate" | reason) of every result."""
    return [
        (r.index, "accepted" if r.accepted else "duplicate" if r.duplicate else r.reason)
        for r in reply.results
    ]


async def visits(attendance, member_id: int) -> list[tuple]:
    reply = await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member_id))
    return sorted(
        (
            instant(v.entered_at),
            instant(v.exited_at) if v.HasField("exited_at") else None,
            v.source,
            v.device_id,
        )
        for v in reply.visits
    )


async def test_each_event_gets_the_outcome_of_a_single_check_in_or_check_out(
    attendance, register_member
):
    ana, bia = await register_member(), await register_member()
    base = now().replace(microsecond=0)
    in1, out1 = base - timedelta(days=2, hours=3), base - timedelta(days=2, hours=2)
    in2, out2 = base - timedelta(days=1, hours=3), base - timedelta(days=1, hours=1)
    key = unique_code("turnstile")
    reply = await attendance.StreamCheckIns(
        stream(
            event(ENTRY, ana.id, in1, key=key),  # 0 history buffered offline
            event(EXIT, ana.id, out1),  # 1
            event(ENTRY, ana.id, in1, key=key),  # 2 re-sent entry: same key
            event(EXIT, ana.id, out1),  # 3 re-sent exit
            event(ENTRY, bia.id, in2),  # 4
            event(ENTRY, bia.id, in2),  # 5 re-sent, no key: same member and instant
            event(ENTRY, bia.id, in2 + timedelta(minutes=30)),  # 6 bia is inside
            event(EXIT, bia.id, out2),  # 7
            event(EXIT, bia.id, out2 + timedelta(hours=1)),  # 8 nobody inside
            event(ENTRY, 987_654_321, in2),  # 9
            event(ENTRY, ana.id, base + timedelta(minutes=10)),  # 10 clock far ahead
            event(pb.TURNSTILE_EVENT_KIND_UNSPECIFIED, ana.id, in2),  # 11
            event(ENTRY, ana.id),  # 12 no instant
            event(ENTRY, ana.id, in2, key=key),  # 13 the key of event 0, other entry
        )
    )
    assert outcomes(reply) == [
        (0, "accepted"),
        (1, "accepted"),
        (2, "duplicate"),
        (3, "duplicate"),
        (4, "accepted"),
        (5, "duplicate"),
        (6, "VISIT_ALREADY_OPEN"),
        (7, "accepted"),
        (8, "NO_OPEN_VISIT"),
        (9, "MEMBER_NOT_FOUND"),
        (10, "TIMESTAMP_IN_FUTURE"),
        (11, "VALIDATION_ERROR"),
        (12, "VALIDATION_ERROR"),
        (13, "IDEMPOTENCY_KEY_REUSED"),
    ]
    assert (reply.accepted, reply.duplicates, reply.rejected) == (4, 3, 7)
    assert all(r.message for r in reply.results if r.reason)
    assert await visits(attendance, ana.id) == [
        (in1, out1, pb.CHECK_IN_SOURCE_TURNSTILE, "catraca-01")
    ]
    assert await visits(attendance, bia.id) == [
        (in2, out2, pb.CHECK_IN_SOURCE_TURNSTILE, "catraca-01")
    ]


async def test_buffered_entries_and_exits_of_several_members_make_whole_visits(
    attendance, register_member
):
    a, b = await register_member(), await register_member()
    base = now().replace(microsecond=0)
    ta, tb = base - timedelta(days=3), base - timedelta(days=3, minutes=-10)
    forgotten, live = base - timedelta(days=1), base - timedelta(minutes=10)
    reply = await attendance.StreamCheckIns(
        stream(
            event(ENTRY, a.id, ta),
            event(ENTRY, b.id, tb),
            event(EXIT, b.id, tb + timedelta(minutes=40)),
            event(EXIT, a.id, ta + timedelta(minutes=70)),
            event(ENTRY, a.id, forgotten),  # its exit never comes: stored alone
            event(ENTRY, a.id, live),  # open now
            event(EXIT, a.id, base - timedelta(minutes=1)),
        )
    )
    assert reply.accepted == 7, outcomes(reply)
    turnstile = pb.CHECK_IN_SOURCE_TURNSTILE
    assert await visits(attendance, a.id) == [
        (ta, ta + timedelta(minutes=70), turnstile, "catraca-01"),
        (forgotten, None, turnstile, "catraca-01"),
        (live, base - timedelta(minutes=1), turnstile, "catraca-01"),
    ]
    assert await visits(attendance, b.id) == [
        (tb, tb + timedelta(minutes=40), turnstile, "catraca-01")
    ]


async def test_an_empty_stream_answers_zero_counts(attendance):
    reply = await attendance.StreamCheckIns(stream())
    assert (reply.accepted, reply.duplicates, reply.rejected, list(reply.results)) == (
        0,
        0,
        0,
        [],
    )


async def test_backfill_out_of_order_keeps_the_original_timestamps(attendance, register_member):
    member = await register_member()
    base = now().replace(microsecond=0)
    days = [5, 2, 9, 1]
    reply = await attendance.StreamCheckIns(
        stream(
            *(
                e
                for d in days
                for e in (
                    event(ENTRY, member.id, base - timedelta(days=d)),
                    event(EXIT, member.id, base - timedelta(days=d, minutes=-45)),
                )
            )
        )
    )
    assert reply.accepted == 8, outcomes(reply)
    summary = (await attendance.GetAttendance(pb.GetAttendanceRequest(member_id=member.id))).summary
    assert summary.total_visits == 4
    assert summary.average_visit_minutes == 45
    assert instant(summary.last_visit_at) == base - timedelta(days=1)


async def test_events_handled_before_the_deadline_stay_stored(attendance, register_member):
    member = await register_member()
    base = now().replace(microsecond=0)
    first = base - timedelta(days=3)

    async def slow():
        yield event(ENTRY, member.id, first)
        yield event(EXIT, member.id, first + timedelta(hours=1))
        await asyncio.sleep(3)  # the device stalls past the deadline
        yield event(ENTRY, member.id, base - timedelta(days=1))

    error = await rpc_error(attendance.StreamCheckIns(slow(), timeout=1.0))
    assert error.status == grpc.StatusCode.DEADLINE_EXCEEDED
    assert await visits(attendance, member.id) == [
        (first, first + timedelta(hours=1), pb.CHECK_IN_SOURCE_TURNSTILE, "catraca-01")
    ]
