"""The relay publishes what the attendance service wrote: events on the events exchange with
their AMQP properties, work messages to their queue; rows are then marked published."""

import uuid
from datetime import UTC, timedelta

import aio_pika
from relay_support import ago, outbox_of, ts
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.broker import declare_work_queue
from frequenta_kit.database import create_session_factory


async def test_each_use_case_event_is_published_with_its_properties_and_marked(
    attendance, attendance_engine, start_relay, received, new_member, poll
):
    member = await new_member()
    entered = ago(hours=3)
    await attendance.RecordCheckIn(
        pb.RecordCheckInRequest(member_id=member.id, entered_at=ts(entered), device_id="c-7")
    )
    await attendance.RecordCheckOut(
        pb.RecordCheckOutRequest(member_id=member.id, exited_at=ts(entered + timedelta(hours=1)))
    )
    await attendance.CancelMembership(
        pb.CancelMembershipRequest(member_id=member.id, reason=pb.CANCELLATION_REASON_PRICE)
    )
    await start_relay()

    expected = [
        "member.registered",
        "checkin.recorded",
        "checkout.recorded",
        "membership.cancelled",
    ]

    async def all_arrived() -> bool:
        return received.of_member(member.id) == expected

    await poll(all_arrived, within=15, what="the member's four events")
    mine = [
        m for m in received.messages if ev.EventEnvelope.FromString(m.body).member_id == member.id
    ]
    for message in mine:
        envelope = ev.EventEnvelope.FromString(message.body)
        assert message.message_id == envelope.event_id
        assert message.type == message.routing_key == envelope.event_type
        assert message.content_type == "application/x-protobuf"
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.headers == {"schema_version": 1}
        assert message.app_id == "frequenta-attendance"
        assert message.timestamp is not None
        assert envelope.schema_version == 1 and envelope.member_id == member.id
    check_in = ev.EventEnvelope.FromString(mine[1].body).check_in_recorded
    assert (check_in.device_id, check_in.source) == ("c-7", "front_desk")
    assert check_in.entered_at.ToDatetime(tzinfo=UTC) == entered

    async def all_marked() -> bool:
        rows = await outbox_of(attendance_engine, {member.id})
        return len(rows) == 4 and all(published for _, _, published in rows)

    await poll(all_marked, within=10, what="the rows to be marked published")


async def test_a_work_message_reaches_its_queue_even_before_any_worker_declared_it(
    attendance_engine, rabbitmq, broker_connection, start_relay, poll
):
    queue_name = f"test-jobs-{uuid.uuid4().hex[:8]}"
    message_id = uuid.uuid4()
    async with SqlAlchemyUnitOfWork(create_session_factory(attendance_engine)) as uow:
        uow.outbox.add_work(
            queue_name, b"job body", message_id, message_type="test.job", headers={"job": "j-1"}
        )
        await uow.commit()
    await start_relay()

    async def marked() -> bool:
        async with attendance_engine.connect() as connection:
            return await connection.scalar(
                text("SELECT published_at IS NOT NULL FROM outbox WHERE message_id = :id"),
                {"id": message_id},
            )

    await poll(marked, within=15, what="the work row to be published")
    # The relay declared the queue as every process does; a worker declaring it again agrees.
    channel = await broker_connection.channel()
    queue = await declare_work_queue(channel, rabbitmq.topology, queue_name)
    message = await queue.get(timeout=5)
    assert message is not None
    await message.ack()
    assert (message.body, message.message_id, message.type) == (
        b"job body",
        str(message_id),
        "test.job",
    )
    assert message.headers["job"] == "j-1"
    assert message.routing_key == rabbitmq.topology.queue(queue_name)
    assert message.exchange == rabbitmq.topology.work_exchange
    await queue.delete(if_unused=False, if_empty=False)
    await channel.queue_delete(rabbitmq.topology.dead_letter_queue(queue_name))
    await channel.close()


async def test_a_work_message_returned_unroutable_stays_and_goes_out_once_its_queue_is_back(
    attendance_engine, rabbitmq, broker_connection, start_relay, poll, caplog
):
    """A queue deleted behind the relay's back: the broker returns the message, the row stays
    unpublished, and the relay declares the queue again before the retry."""
    queue_name = f"test-jobs-{uuid.uuid4().hex[:8]}"
    session_factory = create_session_factory(attendance_engine)

    async def enqueue(body: bytes) -> uuid.UUID:
        message_id = uuid.uuid4()
        async with SqlAlchemyUnitOfWork(session_factory) as uow:
            uow.outbox.add_work(queue_name, body, message_id)
            await uow.commit()
        return message_id

    async def published(message_id: uuid.UUID) -> bool:
        async with attendance_engine.connect() as connection:
            return await connection.scalar(
                text("SELECT published_at IS NOT NULL FROM outbox WHERE message_id = :id"),
                {"id": message_id},
            )

    first = await enqueue(b"first")
    await start_relay()
    await poll(lambda: published(first), within=15, what="the first job")
    channel = await broker_connection.channel()
    await channel.queue_delete(rabbitmq.topology.queue(queue_name))

    second = await enqueue(b"second")
    await poll(lambda: published(second), within=15, what="the second job, after a return")
    assert "returned by the broker" in caplog.text
    queue = await declare_work_queue(channel, rabbitmq.topology, queue_name)
    message = await queue.get(timeout=5)
    assert message is not None and message.body == b"second"
    await message.ack()
    await queue.delete(if_unused=False, if_empty=False)
    await channel.queue_delete(rabbitmq.topology.dead_letter_queue(queue_name))
    await channel.close()
