"""A competing consumer of one queue, the same for every kind of job: a work queue by default,
or a consumer's own queue of domain events (``declare_queue=event_queue([...])``).

- The queue (and its dead-letter queue) is declared as :mod:`frequenta_kit.broker` says.
- ``prefetch`` bounds the messages in flight per consumer; run more processes to scale out.
- A message is acked only after its handler returned, that is after the handler committed its
  work. Handlers must be idempotent (keyed on the message id): delivery is at-least-once.
- A handler raising :class:`PermanentFailure` sends the message to the dead-letter queue at once,
  with the reason in the ``x-frequenta-error`` header. Any other exception requeues it; on its
  last allowed delivery it is dead-lettered the same way, with the exception as the reason (the
  quorum queue's own delivery limit is the backstop).
- A handler raising :class:`~frequenta_kit.errors.Unavailable` (something it needs, such as its
  database, is away for now) is called again in place, holding the delivery, after pauses
  doubling from 0.5 s to 10 s, for up to ``unavailable_patience`` seconds: an outage of that
  length (a database restart) spends no delivery and dead-letters nothing. After that, or when
  the consumer stops, the message is requeued like any failure.
- The connection is robust: after a broker restart the consumer comes back by itself.
- A message's ``x-request-id`` header (the request that caused it) is the request id of the
  handler's log lines and of what it writes (:mod:`frequenta_kit.request_ids`).
- Metrics (``frequenta_consumer_*`` by queue, without the namespace): messages processed,
  failed (requeued or dead-lettered), handling time, and the depth of the queue and of its
  dead-letter queue (``frequenta_queue_depth_messages``, asked of the broker every
  ``depth_interval`` seconds).
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection
from prometheus_client import Counter, Gauge, Histogram

from frequenta_kit import request_ids
from frequenta_kit.broker import QueueDeclaration, Topology, connect, declare_work_queue
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

ERROR_HEADER = "x-frequenta-error"
REQUEST_ID_HEADER = request_ids.METADATA_KEY

PROCESSED = Counter(
    "frequenta_consumer_messages_processed_total",
    "Messages whose handler succeeded (then acked), by queue.",
    ["queue"],
)
FAILED = Counter(
    "frequenta_consumer_messages_failed_total",
    "Messages whose handler failed, by queue and what became of them (requeued, dead_lettered).",
    ["queue", "outcome"],
)
HANDLING_SECONDS = Histogram(
    "frequenta_consumer_message_duration_seconds",
    "Time to handle one message (waits for a dependency included), by queue.",
    ["queue"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
QUEUE_DEPTH = Gauge(
    "frequenta_queue_depth_messages",
    "Messages ready in a queue as the broker last counted them (<queue>.dead: its dead letters).",
    ["queue"],
)
FIRST_PAUSE, MAX_PAUSE = 0.5, 10.0


class PermanentFailure(Exception):
    """The message can never be processed (malformed, refers to nothing...): dead-letter it."""


@dataclass(frozen=True)
class WorkMessage:
    """What a handler sees of a delivery."""

    message_id: str
    body: bytes
    headers: dict[str, Any]
    # 0 on the first delivery, then how many times it was delivered before.
    delivery_count: int


Handler = Callable[[WorkMessage], Awaitable[None]]


@dataclass
class WorkConsumer:
    url: str
    topology: Topology
    queue: str
    handler: Handler
    prefetch: int = 8
    # Declares (and binds) the queue: a work queue unless told otherwise (broker.event_queue).
    declare_queue: QueueDeclaration = declare_work_queue
    # How long a handler answering Unavailable is retried in place before the message is requeued.
    unavailable_patience: float = 120.0
    # How often the depth of the queue (and of its dead letters) is asked of the broker.
    depth_interval: float = 15.0
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _connection: AbstractRobustConnection | None = field(default=None, init=False)
    _channel: AbstractChannel | None = field(default=None, init=False)
    _in_flight: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _consumer_tag: str | None = field(default=None, init=False)
    _depths: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        self._connection = await connect(self.url)
        self._channel = await self._connection.channel(publisher_confirms=True)
        await self._channel.set_qos(prefetch_count=self.prefetch)
        queue = await self.declare_queue(self._channel, self.topology, self.queue)
        self._queue = queue
        self._consumer_tag = await queue.consume(self._on_message)
        self._depths = asyncio.create_task(self._watch_depths())
        log.info("consuming %s (prefetch %d)", self.topology.queue(self.queue), self.prefetch)

    async def stop(self, grace: float = 30.0) -> None:
        """Stop taking messages, let the ones in flight finish (up to ``grace``), disconnect.
        One waiting for a dependency to come back is requeued instead."""
        await self._stop_taking()
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=grace)
        await self._disconnect()

    async def _stop_taking(self) -> None:
        """No more deliveries: the consumer cancelled at the broker, the depth reports ended."""
        self._stopping.set()
        if self._depths is not None:
            self._depths.cancel()
            await asyncio.gather(self._depths, return_exceptions=True)
        if self._consumer_tag is not None:
            await self._queue.cancel(self._consumer_tag)
            self._consumer_tag = None

    async def _disconnect(self) -> None:
        """Close the connection: what is still unacked goes back to the queue."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            await self._process(message)
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def _process(self, message: AbstractIncomingMessage) -> None:
        started = time.perf_counter()
        with request_ids.bound(request_id_of(message)):
            outcome = await self._settle(message)
        HANDLING_SECONDS.labels(self.queue).observe(time.perf_counter() - started)
        if outcome == "processed":
            PROCESSED.labels(self.queue).inc()
        else:
            FAILED.labels(self.queue, outcome).inc()

    async def _settle(self, message: AbstractIncomingMessage) -> str:
        """Handle, then ack, requeue or dead-letter; what became of it."""
        work = work_message(message)
        try:
            await self._handle(work)
        except Exception as error:
            return await self._settle_failure(message, work, error)
        await message.ack()
        return "processed"

    async def _settle_failure(
        self, message: AbstractIncomingMessage, work: WorkMessage, error: Exception
    ) -> str:
        """Dead-letter (a PermanentFailure, or the last allowed delivery) or requeue a message
        whose handler raised ``error``; what became of it."""
        if isinstance(error, PermanentFailure):
            await self._dead_letter(message, f"permanent: {error}")
            return "dead_lettered"
        if work.delivery_count + 1 >= self.topology.delivery_limit:
            log.error("message %s failed on its last delivery", work.message_id, exc_info=error)
            await self._dead_letter(
                message,
                f"gave up after {work.delivery_count + 1} "
                f"deliveries: {type(error).__name__}: {error}",
            )
            return "dead_lettered"
        log.warning("message %s failed (%s); requeued", work.message_id, error)
        await message.nack(requeue=True)
        return "requeued"

    async def _watch_depths(self) -> None:
        """Keeps ``frequenta_queue_depth_messages`` of this queue and its dead letters current,
        on a channel of its own (a failed passive declare closes its channel)."""
        assert self._connection is not None
        channel: AbstractChannel | None = None
        while not self._stopping.is_set():
            try:
                if channel is None or channel.is_closed:
                    channel = await self._connection.channel()
                ready, dead = await queue_depths(channel, self.topology, self.queue)
                QUEUE_DEPTH.labels(self.queue).set(ready)
                QUEUE_DEPTH.labels(f"{self.queue}.dead").set(dead)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the broker away: the next look will tell
                log.debug("depth of %s unknown for now: %r", self.queue, error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.depth_interval)

    async def _handle(self, work: WorkMessage) -> None:
        """The handler, called again while it answers Unavailable (within the patience)."""
        await self._patiently(lambda: self.handler(work), f"message {work.message_id}")

    async def _patiently(self, call: Callable[[], Awaitable[None]], what: str) -> None:
        """``call()``, called again while it raises Unavailable (within the patience)."""
        pause, waited = FIRST_PAUSE, 0.0
        while True:
            try:
                await call()
                return
            except Unavailable as error:
                if self._stopping.is_set() or waited + pause > self.unavailable_patience:
                    raise
                log.warning("%s waits: %s; trying again in %.1fs", what, error, pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)
            waited += pause
            pause = min(pause * 2, MAX_PAUSE)

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str) -> None:
        """Publish a copy with the reason to the dead-letter queue (confirmed), then ack."""
        assert self._channel is not None
        exchange = await self._channel.get_exchange(self.topology.dead_letter_exchange)
        headers = dict(message.headers or {})
        headers[ERROR_HEADER] = reason[:1000]
        await exchange.publish(
            aio_pika.Message(
                message.body,
                headers=headers,
                message_id=message.message_id,
                type=message.type,
                content_type=message.content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=self.topology.queue(self.queue),
        )
        await message.ack()
        log.error("message %s dead-lettered: %s", message.message_id, reason)


def work_message(message: AbstractIncomingMessage) -> WorkMessage:
    """What a handler sees of ``message``."""
    headers = dict(message.headers or {})
    return WorkMessage(
        message_id=message.message_id or "",
        body=message.body,
        headers=headers,
        delivery_count=int(headers.get("x-delivery-count", 0) or 0),
    )


def request_id_of(message: AbstractIncomingMessage) -> str | None:
    """The ``x-request-id`` header of ``message`` (the request that caused it), if any."""
    request_id = (message.headers or {}).get(REQUEST_ID_HEADER)
    if isinstance(request_id, bytes):
        request_id = request_id.decode(errors="replace")
    return request_id if isinstance(request_id, str) else None


async def queue_depths(channel: AbstractChannel, topology: Topology, name: str) -> tuple[int, int]:
    """Messages ready in the work queue and in its dead-letter queue, as the broker counts now."""

    async def ready(queue_name: str) -> int:
        queue = await channel.declare_queue(queue_name, passive=True)
        # A robust channel hands back its cached queue: declare again for today's count.
        declared = await queue.declare()
        return declared.message_count or 0

    return await ready(topology.queue(name)), await ready(topology.dead_letter_queue(name))


async def serve_until_signalled(consumers: list[WorkConsumer], grace: float = 30.0) -> None:
    """Run ``consumers`` until SIGTERM/SIGINT, then drain them (the worker processes' main)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    for consumer in consumers:
        await consumer.start()
    await stop.wait()
    log.info("shutdown signal received; draining consumers for up to %.0fs", grace)
    await asyncio.gather(*(consumer.stop(grace) for consumer in consumers))
