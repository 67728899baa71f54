"""Several relays over one outbox: every event is published exactly once, and each member's
events reach the consumer in the order they were written. Also a measure of throughput."""

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from relay_support import ago, outbox_of, ts
from sqlalchemy import insert

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance.models import OutboxMessage

MEMBERS = 8
VISITS = 20


async def member_history(attendance, member_id: int) -> None:
    """20 short visits in the last five hours (check-in, then check-out), then a cancellation:
    41 events after the registration."""
    start = ago(hours=5)
    for n in range(VISITS):
        entered = start + timedelta(minutes=12 * n)
        await attendance.RecordCheckIn(
            pb.RecordCheckInRequest(member_id=member_id, entered_at=ts(entered))
        )
        await attendance.RecordCheckOut(
            pb.RecordCheckOutRequest(
                member_id=member_id, exited_at=ts(entered + timedelta(minutes=5))
            )
        )
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=member_id, reason=pb.CANCELLATION_REASON_OTHER)
    )


async def test_three_relays_publish_each_event_once_and_each_member_in_order(
    attendance, attendance_engine, start_relay, received, new_member, poll
):
    relays = [await start_relay() for _ in range(3)]
    members = [await new_member() for _ in range(MEMBERS)]
    ids = {member.id for member in members}
    # The members' histories are written concurrently while the relays publish.
    await asyncio.gather(*(member_history(attendance, member.id) for member in members))
    expected_total = MEMBERS * (2 + 2 * VISITS)

    async def all_arrived() -> bool:
        return len(received.envelopes(ids)) >= expected_total

    await poll(all_arrived, within=60, what=f"{expected_total} events")
    written = await outbox_of(attendance_engine, ids)
    assert len(written) == expected_total
    arrived = received.envelopes(ids)
    counts = Counter(envelope.event_id for envelope in arrived)
    assert max(counts.values()) == 1, "an event was published twice"
    assert set(counts) == {message_id for message_id, _, _ in written}
    for member_id in ids:
        in_outbox = [message_id for message_id, owner, _ in written if owner == member_id]
        at_consumer = [e.event_id for e in arrived if e.member_id == member_id]
        assert at_consumer == in_outbox, f"events of member {member_id} out of order"
        types = [e.event_type for e in arrived if e.member_id == member_id]
        assert types == (
            ["member.registered"]
            + ["checkin.recorded", "checkout.recorded"] * VISITS
            + ["membership.cancelled"]
        )
    busy = [relay.relay.published for relay in relays]
    assert sum(busy) >= expected_total
    assert sum(1 for count in busy if count) >= 2, f"one relay did all the work: {busy}"


async def test_a_backlog_drains_in_order_and_fast(
    attendance_engine, start_relay, received, poll, capsys
):
    """5000 waiting events of 50 members (as after a broker outage), one relay."""
    members = [10**12 + n for n in range(50)]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows, expected = [], {member: [] for member in members}
    for n in range(5000):
        member = members[n % len(members)]
        envelope = ev.EventEnvelope(
            event_id=str(uuid.uuid4()),
            event_type="checkin.recorded",
            schema_version=1,
            member_id=member,
        )
        envelope.occurred_at.FromDatetime(base + timedelta(seconds=n))
        expected[member].append(envelope.event_id)
        rows.append(
            {
                "message_id": uuid.UUID(envelope.event_id),
                "message_type": envelope.event_type,
                "exchange": "events",
                "routing_key": "test.backlog",
                "aggregate_id": member,
                "headers": {"schema_version": 1},
                "payload": envelope.SerializeToString(),
                "occurred_at": base + timedelta(seconds=n),
            }
        )
    async with attendance_engine.begin() as connection:
        await connection.execute(insert(OutboxMessage), rows)

    started = time.perf_counter()
    await start_relay()

    async def drained() -> bool:
        return len(received.envelopes(set(members))) >= len(rows)

    await poll(drained, within=60, what="5000 events")
    elapsed = time.perf_counter() - started
    arrived = received.envelopes(set(members))
    assert len(arrived) == len(rows)
    for member in members:
        assert [e.event_id for e in arrived if e.member_id == member] == expected[member]
    with capsys.disabled():
        print(f"\n[relay] 5000 events in {elapsed:.2f}s: {len(rows) / elapsed:.0f} events/s")
