"""The broker goes away and comes back: requests keep succeeding, events wait in the outbox,
and the same relay (no restart) publishes them once it can, in order."""

from relay_support import ago, outbox_of, ts
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
