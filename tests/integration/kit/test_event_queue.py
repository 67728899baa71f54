"""The same consumer on a queue of domain events: declared and bound to the events exchange for
the types asked, with the work queues' delivery limit and dead letters."""

import functools
import uuid
from collections.abc import AsyncIterator, Callable

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel

from frequenta_kit.broker import Topology, connect, declare_events_exchange, event_queue
from frequenta_kit.consumer import (
    ERROR_HEADER,
    PermanentFailure,
    WorkConsumer,
    WorkMessage,
    queue_depths,
)

QUEUE = "listener"
KEYS = ("member.registered", "checkin.*")


@pytest.fixture
def topology(scratch_topology) -> Topology:
    return scratch_topology(QUEUE, delivery_limit=3)


@pytest.fixture
async def channel(rabbitmq, topology: Topology) -> AsyncIterator[AbstractChannel]:
    connection = await connect(rabbitmq.url)
    async with connection:
        chan = await connection.channel(publisher_confirms=True)
        # Declared before any consumer runs: events wait in it from now on.
        await event_queue(KEYS)(chan, topology, QUEUE)
        yield chan


@pytest.fixture
def consumer(rabbitmq, topology: Topology) -> Callable[..., WorkConsumer]:
    """``consumer(handler)``: a WorkConsumer of the test's event queue."""
    return functools.partial(
        WorkConsumer, rabbitmq.url, topology, QUEUE, declare_queue=event_queue(KEYS)
    )


async def publish(channel: AbstractChannel, topology: Topology, event_type: str) -> str:
    event_id = str(uuid.uuid4())
    exchange = await declare_events_exchange(channel, topology)
    await exchange.publish(
        aio_pika.Message(event_type.encode(), message_id=event_id, type=event_type),
        routing_key=event_type,
    )
    return event_id


async def test_the_bound_event_types_are_consumed_and_others_not(
    channel, topology, consumer, poll
) -> None:
    seen: list[bytes] = []

    async def handler(message: WorkMessage) -> None:
        seen.append(message.body)

    for event_type in ("member.registered", "checkin.recorded", "membership.cancelled"):
        await publish(channel, topology, event_type)
    worker = consumer(handler)
    await worker.start()
    try:

        async def drained() -> bool:
            return len(seen) == 2 and await queue_depths(channel, topology, QUEUE) == (0, 0)

        await poll(drained, within=15)
    finally:
        await worker.stop()
    assert sorted(seen) == [b"checkin.recorded", b"member.registered"]


async def test_an_event_that_cannot_be_applied_is_dead_lettered_with_its_reason(
    channel, topology, consumer, poll
) -> None:
    async def handler(message: WorkMessage) -> None:
        raise PermanentFailure("no payload")

    worker = consumer(handler)
    await worker.start()
    try:
        event_id = await publish(channel, topology, "checkin.recorded")

        async def dead_lettered() -> bool:
            return await queue_depths(channel, topology, QUEUE) == (0, 1)

        await poll(dead_lettered, within=15)
    finally:
        await worker.stop()
    dead = await channel.get_queue(topology.dead_letter_queue(QUEUE))
    message = await dead.get(timeout=5)
    assert message.message_id == event_id
    assert message.headers[ERROR_HEADER] == "permanent: no payload"
    await message.ack()


async def test_an_event_queue_needs_a_routing_key(channel, topology) -> None:
    with pytest.raises(ValueError, match="routing key"):
        await event_queue(())(channel, topology, "nothing")
