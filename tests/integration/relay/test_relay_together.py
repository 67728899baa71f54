"""``publish_together`` against the real broker: one write of many messages, each answered on
its own (confirmed, nacked, returned), bodies larger than a frame split, properties kept, and
the channel's own bookkeeping left as aiormq's ``basic_publish`` leaves it (the same channel
then publishes one message at a time as before)."""

import asyncio
import uuid

import aio_pika
from aio_pika.exceptions import DeliveryError, PublishError
from pamqp import commands as spec

from frequenta_attendance.relay.together import Outgoing, publish_together
from frequenta_kit.broker import connect, declare_events_exchange


def message(exchange: str, routing_key: str, body: bytes, *, mandatory: bool = False) -> Outgoing:
    return Outgoing(
        exchange=exchange,
        routing_key=routing_key,
        body=body,
        properties=spec.Basic.Properties(
            message_id=str(uuid.uuid4()),
            message_type="test.together",
            content_type="application/octet-stream",
            delivery_mode=2,
            headers={"n": len(body)},
        ),
        mandatory=mandatory,
    )


async def test_messages_written_together_are_answered_one_by_one(rabbitmq, scratch_topology):
    topology = scratch_topology("ok", "full")
    connection = await connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await declare_events_exchange(channel, topology)
        ok = await channel.declare_queue(
            topology.queue("ok"), durable=True, arguments={"x-queue-type": "quorum"}
        )
        await ok.bind(exchange, routing_key="ok")
        # A queue that takes nothing and says so: the broker nacks what is routed to it.
        full = await channel.declare_queue(
            topology.queue("full"),
            durable=True,
            arguments={"x-max-length": 0, "x-overflow": "reject-publish"},
        )
        await full.bind(exchange, routing_key="full")

        large = bytes(range(256)) * 2000  # 512 KB: several content frames
        name = exchange.name
        sent = [
            message(name, "ok", b"first"),
            message(name, "ok", large),
            message(name, "full", b"refused"),
            message(name, "nowhere", b"returned", mandatory=True),
            message(name, "nowhere", b"dropped"),
            message(name, "ok", b"last"),
        ]
        raw = await channel.get_underlay_channel()
        results = await publish_together(raw, sent, within=10)

        assert results[0] is None and results[1] is None and results[5] is None
        assert isinstance(results[2], DeliveryError)
        assert isinstance(results[3], PublishError)
        assert results[4] is None  # not mandatory: confirmed, routed nowhere
        # aiormq's bookkeeping is settled, and the channel publishes one at a time as before.
        assert not raw.message_id_delivery_tag
        await exchange.publish(aio_pika.Message(b"after", message_id="after"), routing_key="ok")

        received = []
        async with asyncio.timeout(30):
            while len(received) < 4:
                incoming = await ok.get(no_ack=True, fail=False)
                if incoming is None:
                    await asyncio.sleep(0.05)
                    continue
                received.append(incoming)
        assert [m.body for m in received] == [b"first", large, b"last", b"after"]
        assert received[1].message_id == sent[1].properties.message_id
        assert received[1].type == "test.together"
        assert received[1].headers["n"] == len(large)
        assert received[1].delivery_mode == aio_pika.DeliveryMode.PERSISTENT


async def test_nothing_to_publish_sends_nothing(rabbitmq):
    connection = await connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        raw = await channel.get_underlay_channel()
        tag = raw.delivery_tag
        assert await publish_together(raw, [], within=1) == []
        assert raw.delivery_tag == tag


async def test_a_closed_channel_fails_every_message(rabbitmq, scratch_topology):
    topology = scratch_topology()
    connection = await connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await declare_events_exchange(channel, topology)
        raw = await channel.get_underlay_channel()
        await raw.close()
        sent = [
            Outgoing(exchange.name, "x", b"1", spec.Basic.Properties(message_id="m1")),
            Outgoing(exchange.name, "x", b"2", spec.Basic.Properties(message_id="m2")),
        ]
        results = await publish_together(raw, sent, within=5)
        assert len(results) == 2
        assert all(isinstance(result, Exception) for result in results)
