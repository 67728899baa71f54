"""When the relay sweeps: once per notification, and again at once only after a round that read
a full batch (rows may be left that no notification will announce). The poll interval is set
long here, so only a notification or a full batch can start a sweep within the test."""

import asyncio
from datetime import timedelta

from relay_support import ago, outbox_of, ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.relay import Relay

LONG_POLL = 60.0


def count_sweeps(relay: Relay) -> list[int]:
    """Appends one entry per sweep the relay makes (with the rows it published)."""
    sweeps: list[int] = []
    sweep = relay._sweep

    async def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        result = await sweep(*args, **kwargs)
        sweeps.append(result.published)
        return result

    relay._sweep = counted  # type: ignore[method-assign]
    return sweeps


async def all_published(attendance_engine, member_id: int, count: int) -> bool:
    rows = await outbox_of(attendance_engine, {member_id})
    return len(rows) == count and all(published for _, _, published in rows)


async def test_a_published_event_is_followed_by_no_empty_sweep(
    attendance, attendance_engine, start_relay, new_member, poll
):
    member = await new_member()
    running = await start_relay(relay_poll_interval_seconds=LONG_POLL)
    sweeps = count_sweeps(running.relay)

    async def registered() -> bool:
        return await all_published(attendance_engine, member.id, 1)

    await poll(registered, within=15, what="the registration published")
    before = len(sweeps)
    await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=member.id, entered_at=ts(ago(hours=2)))
    )

    async def checked_in() -> bool:
        return await all_published(attendance_engine, member.id, 2)

    await poll(checked_in, within=15, what="the check-in published")
    await poll(lambda: _true_after(sweeps, before), within=5, what="the sweep's end")
    # One notification, one sweep: no second sweep that reads nothing.
    await _settle()
    assert sweeps[before:] == [1]


async def test_full_batches_are_swept_again_without_a_notification(
    attendance, attendance_engine, start_relay, new_member, poll
):
    member = await new_member()
    entered = ago(days=20)
    for day in range(6):
        visit = entered + timedelta(days=day)
        await attendance.RecordCheckIn(
            pb.RecordCheckInRequest(
                member_id=member.id,
                entered_at=ts(visit),
                exited_at=ts(visit + timedelta(hours=1)),
            )
        )
    # Seven rows of one member, two per round: the first sweep (at start) leaves five behind.
    await start_relay(relay_poll_interval_seconds=LONG_POLL, relay_batch_size=2)

    async def every_row() -> bool:
        return await all_published(attendance_engine, member.id, 7)

    await poll(every_row, within=15, what="all seven rows published, two at a time")


async def _true_after(sweeps: list[int], before: int) -> bool:
    return len(sweeps) > before


async def _settle() -> None:
    """Long enough for an immediate second sweep to have happened (it would take milliseconds)."""
    await asyncio.sleep(1.0)
