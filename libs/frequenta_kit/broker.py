"""RabbitMQ plumbing shared by publishers and consumers: connecting (with a retry that
``connect_robust`` lacks at start-up), and the topology every process declares identically.

Topology (names under a namespace, ``frequenta`` by default, so test runs can have their own):
- ``<ns>.events``: durable topic exchange of domain events; the routing key is the event type.
- ``<ns>.work``: durable direct exchange of work messages; the routing key is the queue's name.
- each work queue ``<ns>.<name>``: a quorum queue with a delivery limit; a message redelivered
  more often than that, or rejected, goes through ``<ns>.dead`` to ``<ns>.<name>.dead``.
- each event queue ``<ns>.<name>``: a consumer's own queue of domain events, bound to
  ``<ns>.events`` for the event types it wants, with the same delivery limit and dead letters.
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractQueue,
    AbstractRobustConnection,
)
from tenacity import (
    before_sleep_log,
    retry,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Topology:
    """Names of the exchanges and queues under one namespace."""

    namespace: str = "frequenta"
    # Deliveries of one work message before it is dead-lettered. Part of each queue's
    # declaration, so every process must agree on it: it lives here, not at the call sites.
    delivery_limit: int = 5

    @property
    def events_exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def work_exchange(self) -> str:
        return f"{self.namespace}.work"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.dead"

    def queue(self, name: str) -> str:
        return f"{self.namespace}.{name}"

    def dead_letter_queue(self, name: str) -> str:
        return f"{self.namespace}.{name}.dead"

    def route(self, exchange: str, key: str) -> tuple[str, str]:
        """The exchange and routing key of a message addressed, namespace-free, to ``exchange``
        ("events": ``key`` is the event type; "work": ``key`` is the work queue's name)."""
        if exchange == "events":
            return self.events_exchange, key
        if exchange == "work":
            return self.work_exchange, self.queue(key)
        raise ValueError(f"unknown exchange {exchange!r} (expected 'events' or 'work')")


async def connect(url: str, *, give_up_after: float = 60.0) -> AbstractRobustConnection:
    """A robust connection; retries the first connect, which ``connect_robust`` does not."""

    @retry(
        retry=retry_if_exception_type((ConnectionError, OSError)),
        wait=wait_exponential(multiplier=0.5, max=5),
        stop=stop_after_delay(give_up_after),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    )
    async def attempt() -> AbstractRobustConnection:
        return await aio_pika.connect_robust(url, timeout=10)

    return await attempt()


async def declare_events_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(
        topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )


async def declare_work_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(
        topology.work_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )


async def _declare_dead_lettered_queue(
    channel: AbstractChannel, topology: Topology, name: str
) -> AbstractQueue:
    """The quorum queue ``<ns>.<name>`` with the topology's delivery limit, whose dead letters
    go through ``<ns>.dead`` to ``<ns>.<name>.dead`` (declared here too)."""
    dead = await channel.declare_exchange(
        topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )
    dead_queue = await channel.declare_queue(
        topology.dead_letter_queue(name), durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead_queue.bind(dead, routing_key=topology.queue(name))
    return await channel.declare_queue(
        topology.queue(name),
        durable=True,
        arguments={
            "x-queue-type": "quorum",
            "x-delivery-limit": topology.delivery_limit,
            "x-dead-letter-exchange": topology.dead_letter_exchange,
            "x-dead-letter-routing-key": topology.queue(name),
        },
    )


async def declare_work_queue(
    channel: AbstractChannel, topology: Topology, name: str
) -> AbstractQueue:
    """The work queue ``name`` bound to the work exchange, with its dead-letter queue."""
    work = await declare_work_exchange(channel, topology)
    queue = await _declare_dead_lettered_queue(channel, topology, name)
    await queue.bind(work, routing_key=topology.queue(name))
    return queue


async def declare_event_queue(
    channel: AbstractChannel, topology: Topology, name: str, routing_keys: Sequence[str]
) -> AbstractQueue:
    """A consumer's durable queue of domain events ``name``, bound to the events exchange for
    each of ``routing_keys`` (event types, or topic patterns such as ``member.*``), with its
    dead-letter queue and delivery limit like a work queue. Events published from the moment
    it is bound wait in it, whether or not its consumer runs."""
    if not routing_keys:
        raise ValueError(f"event queue {name!r} needs at least one routing key")
    events = await declare_events_exchange(channel, topology)
    queue = await _declare_dead_lettered_queue(channel, topology, name)
    for key in routing_keys:
        await queue.bind(events, routing_key=key)
    return queue


# How a consumer declares (and binds) the queue it consumes: a work queue by default, or
# ``event_queue(...)`` for a queue of domain events.
QueueDeclaration = Callable[[AbstractChannel, Topology, str], Awaitable[AbstractQueue]]


def event_queue(routing_keys: Sequence[str]) -> QueueDeclaration:
    """The declaration of an event queue bound for ``routing_keys`` (see declare_event_queue)."""
    keys = tuple(routing_keys)

    async def declare(channel: AbstractChannel, topology: Topology, name: str) -> AbstractQueue:
        return await declare_event_queue(channel, topology, name, keys)

    return declare
