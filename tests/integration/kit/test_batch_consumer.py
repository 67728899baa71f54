"""The batch consumer against the real RabbitMQ, under a namespace of its own: the messages
waiting go to the batch handler together and are acked after it; a batch that fails is
handled one message at a time, so a poison message is dead-lettered and the others pass."""

import asyncio
import functools
import uuid
from collections.abc import Callable, Sequence

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from frequenta_kit.batch_consumer import BatchConsumer
from frequenta_kit.broker import Topology
from frequenta_kit.consumer import ERROR_HEADER, PermanentFailure, WorkMessage, queue_depths
from frequenta_kit.errors import Unavailable

QUEUE = "batches"


@pytest.fixture
def consumer(rabbitmq, topology: Topology) -> Callable[..., BatchConsumer]:
    """``consumer(handler, batch_handler=..., **options)``: a BatchConsumer of the queue."""
    return functools.partial(BatchConsumer, rabbitmq.url, topology, QUEUE)


async def publish(channel: AbstractChannel, topology: Topology, *bodies: bytes) -> list[str]:
    exchange = await channel.get_exchange(topology.work_exchange)
    ids = []
    for body in bodies:
        ids.append(str(uuid.uuid4()))
        await exchange.publish(
            aio_pika.Message(body, message_id=ids[-1]), routing_key=topology.queue(QUEUE)
        )
    return ids


class Recorder:
    """Handlers that record what they were given; ``poison`` bodies fail."""

    def __init__(self, poison: bytes | None = None) -> None:
        self.poison = poison
        self.batches: list[list[bytes]] = []
        self.alone: list[bytes] = []
        self.done: list[bytes] = []

    async def one(self, message: WorkMessage) -> None:
        self.alone.append(message.body)
        if message.body == self.poison:
            raise PermanentFailure(f"cannot read {message.body!r}")
        self.done.append(message.body)

    async def batch(self, messages: Sequence[WorkMessage]) -> None:
        bodies = [message.body for message in messages]
        self.batches.append(bodies)
        if self.poison in bodies:
            raise PermanentFailure("one of them cannot be read")
        self.done.extend(bodies)


async def test_waiting_messages_go_to_the_batch_handler_together(
    channel, topology, consumer, poll
) -> None:
    recorder = Recorder()
    bodies = [f"event-{n}".encode() for n in range(10)]
    await publish(channel, topology, *bodies)  # all waiting before the consumer starts
    worker = consumer(recorder.one, batch_handler=recorder.batch, prefetch=10)
    await worker.start()
    try:

        async def all_done() -> bool:
            return len(recorder.done) == 10 and await queue_depths(channel, topology, QUEUE) == (
                0,
                0,
            )

        await poll(all_done, within=15)
    finally:
        await worker.stop()
    assert sorted(recorder.done) == sorted(bodies)
    assert any(len(batch) > 1 for batch in recorder.batches)
    # Nothing is left unacked: the queue is empty once the connection is gone too.
    await asyncio.sleep(0)
    assert await queue_depths(channel, topology, QUEUE) == (0, 0)


async def test_a_poison_message_in_a_batch_is_dead_lettered_and_the_others_pass(
    channel, topology, consumer, poll
) -> None:
    recorder = Recorder(poison=b"poison")
    bodies = [b"first", b"poison", b"third", b"fourth"]
    ids = await publish(channel, topology, *bodies)
    worker = consumer(recorder.one, batch_handler=recorder.batch, prefetch=8)
    await worker.start()
    try:

        async def settled() -> bool:
            return len(recorder.done) == 3 and await queue_depths(channel, topology, QUEUE) == (
                0,
                1,
            )

        await poll(settled, within=15)
    finally:
        await worker.stop()
    assert sorted(recorder.done) == sorted([b"first", b"third", b"fourth"])
    assert any(b"poison" in batch for batch in recorder.batches)
    assert b"poison" in recorder.alone  # the batch failed: each was handled alone
    dead = await channel.get_queue(topology.dead_letter_queue(QUEUE))
    message = await dead.get(timeout=5)
    assert (message.message_id, message.body) == (ids[1], b"poison")
    assert "cannot read b'poison'" in message.headers[ERROR_HEADER]
    await message.ack()


async def test_a_batch_waiting_for_a_dependency_is_retried_in_place(
    channel, topology, consumer, poll
) -> None:
    """Unavailable is retried in place, more times than the delivery limit allows, on the
    same deliveries (whether the messages came as one batch or alone)."""
    counts: list[int] = []
    recorder = Recorder()

    def away() -> bool:
        return len(counts) <= topology.delivery_limit

    async def one(message: WorkMessage) -> None:
        counts.append(message.delivery_count)
        if away():
            raise Unavailable("DATABASE_UNAVAILABLE", "the database cannot be reached")
        await recorder.one(message)

    async def batch(messages: Sequence[WorkMessage]) -> None:
        counts.extend(message.delivery_count for message in messages)
        if away():
            raise Unavailable("DATABASE_UNAVAILABLE", "the database cannot be reached")
        await recorder.batch(messages)

    await publish(channel, topology, b"a", b"b", b"c")
    worker = consumer(one, batch_handler=batch, prefetch=8)
    await worker.start()
    try:

        async def handled() -> bool:
            return len(recorder.done) == 3 and await queue_depths(channel, topology, QUEUE) == (
                0,
                0,
            )

        await poll(handled, within=0.5 + 1 + 2 + 4 + 10)
    finally:
        await worker.stop()
    assert sorted(recorder.done) == [b"a", b"b", b"c"]
    assert len(counts) > topology.delivery_limit and set(counts) == {0}
