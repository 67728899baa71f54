"""The work-queue consumer against the real RabbitMQ, under a namespace of its own."""

import asyncio
import functools
import uuid
from collections.abc import Callable

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from prometheus_client import REGISTRY

from frequenta_kit import request_ids
from frequenta_kit.broker import Topology
from frequenta_kit.consumer import (
    ERROR_HEADER,
    PermanentFailure,
    WorkConsumer,
    WorkMessage,
    queue_depths,
)
from frequenta_kit.errors import Unavailable

QUEUE = "jobs"


@pytest.fixture
def consumer(rabbitmq, topology: Topology) -> Callable[..., WorkConsumer]:
    """``consumer(handler, **options)``: a WorkConsumer of the test's queue."""
    return functools.partial(WorkConsumer, rabbitmq.url, topology, QUEUE)


async def publish(channel: AbstractChannel, topology: Topology, body: bytes) -> str:
    message_id = str(uuid.uuid4())
    exchange = await channel.get_exchange(topology.work_exchange)
    await exchange.publish(
        aio_pika.Message(body, message_id=message_id), routing_key=topology.queue(QUEUE)
    )
    return message_id


async def test_each_message_is_handled_then_acked(channel, topology, consumer, poll) -> None:
    seen: list[bytes] = []

    async def handler(message: WorkMessage) -> None:
        seen.append(message.body)

    worker = consumer(handler)
    await worker.start()
    try:
        for n in range(5):
            await publish(channel, topology, f"job-{n}".encode())

        async def all_done() -> bool:
            return len(seen) == 5 and await queue_depths(channel, topology, QUEUE) == (0, 0)

        await poll(all_done, within=15)
    finally:
        await worker.stop()
    assert sorted(seen) == [f"job-{n}".encode() for n in range(5)]


async def test_a_transient_failure_is_retried(channel, topology, consumer, poll) -> None:
    deliveries: list[int] = []

    async def handler(message: WorkMessage) -> None:
        deliveries.append(message.delivery_count)
        if len(deliveries) == 1:
            raise ConnectionError("database restarting")

    worker = consumer(handler)
    await worker.start()
    try:
        await publish(channel, topology, b"retry me")

        async def handled_twice() -> bool:
            return len(deliveries) == 2

        await poll(handled_twice)
        assert await queue_depths(channel, topology, QUEUE) == (0, 0)
    finally:
        await worker.stop()
    assert deliveries == [0, 1]


async def test_a_dependency_away_for_a_while_costs_no_delivery(
    channel, topology, consumer, poll
) -> None:
    """Unavailable (e.g. the database restarting) is retried in place, more times than the
    delivery limit allows, on the same delivery: nothing is requeued or dead-lettered."""
    deliveries: list[int] = []

    async def handler(message: WorkMessage) -> None:
        deliveries.append(message.delivery_count)
        if len(deliveries) <= topology.delivery_limit:
            raise Unavailable("DATABASE_UNAVAILABLE", "the database cannot be reached")

    worker = consumer(handler)
    worker_pauses = 0.5 + 1 + 2  # the first three pauses
    await worker.start()
    try:
        await publish(channel, topology, b"wait for the database")

        async def handled() -> bool:
            return len(deliveries) == topology.delivery_limit + 1

        await poll(handled, within=worker_pauses + 10)
        assert await queue_depths(channel, topology, QUEUE) == (0, 0)
    finally:
        await worker.stop()
    assert deliveries == [0] * (topology.delivery_limit + 1)


async def test_stop_requeues_a_message_waiting_for_a_dependency(
    channel, topology, consumer, poll
) -> None:
    waiting = asyncio.Event()

    async def handler(message: WorkMessage) -> None:
        waiting.set()
        raise Unavailable("DATABASE_UNAVAILABLE", "the database cannot be reached")

    worker = consumer(handler)
    await worker.start()
    await publish(channel, topology, b"still waiting")
    await asyncio.wait_for(waiting.wait(), 10)
    async with asyncio.timeout(5):  # no waiting out the pauses or the grace
        await worker.stop(grace=30)

    async def back_in_the_queue() -> bool:
        return await queue_depths(channel, topology, QUEUE) == (1, 0)

    await poll(back_in_the_queue, within=10)


async def test_a_permanent_failure_goes_to_the_dead_letter_queue_with_its_reason(
    channel, topology, consumer, poll
) -> None:
    async def handler(message: WorkMessage) -> None:
        raise PermanentFailure("row 3 names member 999, who does not exist")

    worker = consumer(handler)
    await worker.start()
    try:
        message_id = await publish(channel, topology, b"poison")

        async def dead_lettered() -> bool:
            return await queue_depths(channel, topology, QUEUE) == (0, 1)

        await poll(dead_lettered)
    finally:
        await worker.stop()
    dead = await channel.get_queue(topology.dead_letter_queue(QUEUE))
    message = await dead.get(timeout=5)
    assert message.message_id == message_id
    assert message.body == b"poison"
    assert "member 999" in message.headers[ERROR_HEADER]
    await message.ack()


async def test_a_message_that_always_fails_is_dead_lettered_after_the_limit(
    channel, topology, consumer, poll
) -> None:
    attempts = 0

    async def handler(message: WorkMessage) -> None:
        nonlocal attempts
        attempts += 1
        raise ValueError("cannot parse")

    worker = consumer(handler)
    await worker.start()
    try:
        await publish(channel, topology, b"always fails")

        async def dead_lettered() -> bool:
            return await queue_depths(channel, topology, QUEUE) == (0, 1)

        await poll(dead_lettered)
    finally:
        await worker.stop()
    assert attempts == 3
    dead = await channel.get_queue(topology.dead_letter_queue(QUEUE))
    message = await dead.get(timeout=5)
    assert "gave up after 3 deliveries: ValueError: cannot parse" in message.headers[ERROR_HEADER]
    await message.ack()


async def test_competing_consumers_handle_each_message_once(
    channel, topology, consumer, poll
) -> None:
    handled: list[str] = []

    async def handler(message: WorkMessage) -> None:
        await asyncio.sleep(0.01)
        handled.append(message.message_id)

    workers = [consumer(handler, prefetch=2) for _ in range(3)]
    for worker in workers:
        await worker.start()
    try:
        sent = [await publish(channel, topology, b"x") for _ in range(60)]

        async def all_handled() -> bool:
            return len(handled) >= len(sent)

        await poll(all_handled)
    finally:
        for worker in workers:
            await worker.stop()
    assert sorted(handled) == sorted(sent)


async def test_stop_lets_the_message_in_flight_finish(channel, topology, consumer, poll) -> None:
    started, finished = asyncio.Event(), []

    async def handler(message: WorkMessage) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(message.message_id)

    worker = consumer(handler)
    await worker.start()
    message_id = await publish(channel, topology, b"slow")
    await asyncio.wait_for(started.wait(), 10)
    await worker.stop(grace=5)
    assert finished == [message_id]
    assert await queue_depths(channel, topology, QUEUE) == (0, 0)


async def test_the_handler_runs_under_the_message_request_id_and_is_counted(
    channel, topology, consumer, poll
) -> None:
    seen: list[str | None] = []

    async def handler(message: WorkMessage) -> None:
        seen.append(request_ids.current())

    def processed() -> float:
        value = REGISTRY.get_sample_value(
            "frequenta_consumer_messages_processed_total", {"queue": QUEUE}
        )
        return value or 0.0

    before = processed()
    worker = consumer(handler, depth_interval=0.1)
    await worker.start()
    try:
        exchange = await channel.get_exchange(topology.work_exchange)
        await exchange.publish(
            aio_pika.Message(b"a", message_id="m-1", headers={"x-request-id": "req-9"}),
            routing_key=topology.queue(QUEUE),
        )
        await publish(channel, topology, b"no id")

        async def both_done() -> bool:
            return len(seen) == 2

        await poll(both_done, within=15)

        async def depth_known() -> bool:
            labels = {"queue": QUEUE}
            return REGISTRY.get_sample_value("frequenta_queue_depth_messages", labels) == 0

        await poll(depth_known, within=15)
    finally:
        await worker.stop()
    assert sorted(seen, key=str) == [None, "req-9"]
    assert processed() == before + 2
    assert request_ids.current() is None
