"""The broker goes away and comes back: requests keep succeeding, events wait in the outbox,
and the same relay (no restart) publishes them once it can, in order."""

import asyncio
from datetime import timedelta

from relay_support import Inbox, ago, outbox_of, ts, visit_ids_of
from yarl import URL

from frequenta.attendance.v1 import attendance_pb2 as pb


async def record_imported_visits(attendance, member_id: int, count: int) -> None:
    for n in range(count):
        entered = ago(days=30 - n)
        await attendance.RecordCheckIn(
            pb.RecordCheckInRequest(
                member_id=member_id,
                entered_at=ts(entered),
                exited_at=ts(ago(days=30 - n, hours=-1)),
            )
        )


async def test_events_written_while_the_broker_is_unreachable_arrive_after_it_returns(
    attendance, attendance_engine, rabbitmq, proxy, start_relay, received, new_member, poll
):
    through_proxy = URL(rabbitmq.url).with_port(proxy.port).update_query(reconnect_interval="0.3")
    relay = await start_relay(rabbitmq_url=str(through_proxy))
    member = await new_member()

    async def registered() -> bool:
        return received.of_member(member.id) == ["member.registered"]

    await poll(registered, within=15, what="the registration, through the proxy")

    await proxy.close()  # the broker is "down" for the relay
    await record_imported_visits(attendance, member.id, 3)  # requests still succeed
    rows = await outbox_of(attendance_engine, {member.id})
    assert [published for _, _, published in rows] == [True, False, False, False]
    assert received.of_member(member.id) == ["member.registered"]

    await proxy.open()

    async def caught_up() -> bool:
        return len(received.of_member(member.id)) == 4

    await poll(caught_up, within=30, what="the check-ins after the broker came back")
    assert received.of_member(member.id) == ["member.registered"] + ["checkin.recorded"] * 3
    arrived = [e.event_id for e in received.envelopes({member.id})]
    assert arrived == [message_id for message_id, _, _ in rows]

    async def all_marked() -> bool:
        rows = await outbox_of(attendance_engine, {member.id})
        return all(published for _, _, published in rows)

    await poll(all_marked, within=10, what="the rows to be marked published")
    assert not relay.task.done()
    assert proxy.accepted >= 2, "the relay reconnected through the reopened proxy"


async def test_the_relay_reconnects_after_the_broker_closes_every_connection(
    attendance, rabbitmq, start_relay, received, new_member, poll
):
    """What a broker restart sends its clients (connection.close, CONNECTION_FORCED)."""
    relay = await start_relay()
    member = await new_member()

    async def registered() -> bool:
        return received.of_member(member.id) == ["member.registered"]

    await poll(registered, within=15, what="the registration")
    rabbitmq.close_connections("restart drill")
    await record_imported_visits(attendance, member.id, 2)

    async def caught_up() -> bool:
        return received.of_member(member.id) == ["member.registered"] + ["checkin.recorded"] * 2

    await poll(caught_up, within=30, what="the check-ins after the forced reconnect")
    assert not relay.task.done()


async def test_a_stream_of_check_ins_across_a_broker_outage_loses_and_doubles_nothing(
    attendance, attendance_engine, rabbitmq, proxy, start_relay, received, new_member, poll
):
    """Eight members check in continuously; the broker becomes unreachable after the 40th
    answer and comes back after the 110th. Every request succeeds; afterwards the events
    delivered, counted once each by message id, are exactly the check-ins committed."""
    through_proxy = URL(rabbitmq.url).with_port(proxy.port).update_query(reconnect_interval="0.3")
    await start_relay(rabbitmq_url=str(through_proxy))
    members = [await new_member() for _ in range(8)]
    ids = {member.id for member in members}
    total, cut_after, back_after = 160, 40, 110
    answered: list[pb.RecordCheckInResponse] = []
    unpublished_during_outage = asyncio.get_running_loop().create_future()

    async def check_ins_of(member: pb.Member, count: int) -> None:
        for n in range(count):  # one finished visit a day, oldest first: never overlapping
            entered = ago(days=200 - n, minutes=member.id % 60)
            request = pb.RecordCheckInRequest(
                member_id=member.id,
                entered_at=ts(entered),
                exited_at=ts(entered + timedelta(minutes=50)),
                source=pb.CHECK_IN_SOURCE_TURNSTILE,
            )
            answered.append(await attendance.RecordCheckIn(request))
            if len(answered) == cut_after:
                await proxy.close()  # the broker is "down" for the relay, mid-stream
            elif len(answered) == back_after:
                rows = await outbox_of(attendance_engine, ids)
                unpublished_during_outage.set_result(sum(not done for _, _, done in rows))
                await proxy.open()

    await asyncio.gather(*(check_ins_of(member, total // len(members)) for member in members))
    assert len(answered) == total and not any(reply.replayed for reply in answered)
    assert await unpublished_during_outage > 0, "the outage held events back"

    stored = await visit_ids_of(attendance_engine, ids)
    assert sorted(reply.visit.id for reply in answered) == stored  # no duplicate rows

    async def all_delivered() -> bool:
        rows = await outbox_of(attendance_engine, ids)
        inbox = Inbox.of(received.messages, ids)
        return set(inbox.applied) == {message_id for message_id, _, _ in rows} and all(
            published for _, _, published in rows
        )

    await poll(all_delivered, within=60, what="every event after the broker came back")
    rows = await outbox_of(attendance_engine, ids)
    inbox = Inbox.of(received.messages, ids)
    assert len(rows) == len(members) + total  # one registration and one check-in event each
    assert sorted(inbox.visit_ids()) == stored  # each committed check-in's event, once
    assert inbox.in_member_order(rows)
    assert proxy.accepted >= 2, "the relay reconnected through the reopened proxy"
