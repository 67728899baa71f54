"""Publishing outbox rows to RabbitMQ with publisher confirms, many in flight, one member's
messages strictly in order.

A batch goes out in waves: wave k holds the k-th message of every member in the batch (and, in
the first wave, every message without a member). A wave is written to one channel at once
(``together.publish_together``) and its confirms awaited together, so a member's next message
leaves only after the broker confirmed the previous one: a message nacked, returned or timed
out stops its member's later messages for this batch, and per-member order holds even then. A
failure of the channel or connection stops the remaining waves. Whatever was not confirmed
stays in the outbox.
"""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from aio_pika.abc import AbstractChannel
from aio_pika.exceptions import DeliveryError, PublishError
from pamqp import commands as spec

from frequenta_attendance.outbox import WORK
from frequenta_attendance.relay.store import PendingMessage
from frequenta_attendance.relay.together import Outgoing, publish_together
from frequenta_kit.broker import (
    Topology,
    declare_events_exchange,
    declare_work_exchange,
    declare_work_queue,
)

log = logging.getLogger(__name__)

APP_ID = "frequenta-attendance"
PERSISTENT = 2  # AMQP delivery mode


@dataclass
class Outcome:
    """What became of a batch: ids confirmed by the broker, and why others were not."""

    confirmed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def waves(batch: Sequence[PendingMessage]) -> list[list[PendingMessage]]:
    """``batch`` (in id order) split so that no member appears twice in a wave and each
    member's messages keep their order across waves."""
    seen: defaultdict[int, int] = defaultdict(int)
    split: list[list[PendingMessage]] = []
    for message in batch:
        if message.aggregate_id is None:
            index = 0
        else:
            index = seen[message.aggregate_id]
            seen[message.aggregate_id] += 1
        while len(split) <= index:
            split.append([])
        split[index].append(message)
    return split


def properties(row: PendingMessage) -> spec.Basic.Properties:
    """The AMQP properties of an outbox row's message."""
    return spec.Basic.Properties(
        message_id=str(row.message_id),
        message_type=row.message_type,
        content_type=row.content_type,
        delivery_mode=PERSISTENT,
        timestamp=row.created_at,
        headers=row.headers,
        app_id=APP_ID,
    )


def outgoing(row: PendingMessage, topology: Topology) -> Outgoing:
    """An outbox row as published: to its namespaced exchange and routing key. Events go to
    whoever subscribed (nobody: dropped, as pub/sub means); a work message is mandatory, so one
    that comes back unroutable (its queue deleted meanwhile) stays in the outbox."""
    exchange, routing_key = topology.route(row.exchange, row.routing_key)
    return Outgoing(exchange, routing_key, row.payload, properties(row), row.exchange == WORK)


class Publisher:
    """Publishes to the events and work exchanges of ``topology`` through ``channel``, which
    must have publisher confirms and raise on returns (``on_return_raises=True``)."""

    def __init__(self, channel: AbstractChannel, topology: Topology, *, timeout: float) -> None:
        self._channel = channel
        self._topology = topology
        self._timeout = timeout
        self._work_queues: set[str] = set()

    async def declare(self) -> None:
        """Declare both exchanges (a robust channel declares them again after a reconnect)."""
        await declare_events_exchange(self._channel, self._topology)
        await declare_work_exchange(self._channel, self._topology)

    async def _declare_work_queues(self, batch: Sequence[PendingMessage]) -> None:
        """Declare, once, each work queue the batch sends to (with its dead-letter queue, as
        every process declares it), so a job enqueued before any worker started waits in its
        queue instead of coming back unroutable."""
        for name in sorted({m.routing_key for m in batch if m.exchange == WORK}):
            if name not in self._work_queues:
                await declare_work_queue(self._channel, self._topology, name)
                self._work_queues.add(name)

    async def publish(self, batch: Sequence[PendingMessage]) -> Outcome:
        outcome = Outcome()
        try:
            await self._declare_work_queues(batch)
        except Exception as error:  # the channel or connection failed: nothing is sent
            outcome.failed = {m.id: f"declaring work queues: {_describe(error)}" for m in batch}
            return outcome
        stopped: set[int] = set()  # members whose earlier message failed in this batch
        for wave in waves(batch):
            sending = [m for m in wave if m.aggregate_id is None or m.aggregate_id not in stopped]
            results = await self._send(sending)
            broken = False
            for message, result in zip(sending, results, strict=True):
                if result is None:
                    outcome.confirmed.append(message.id)
                    continue
                outcome.failed[message.id] = _describe(result)
                if isinstance(result, PublishError) and message.exchange == WORK:
                    # Its queue is gone (deleted since): declare it again next time.
                    self._work_queues.discard(message.routing_key)
                if message.aggregate_id is not None:
                    stopped.add(message.aggregate_id)
                broken |= not isinstance(result, DeliveryError | PublishError)
            if broken:
                break
        confirmed = set(outcome.confirmed)
        for message in batch:
            if message.id not in confirmed and message.id not in outcome.failed:
                outcome.failed[message.id] = "not sent: an earlier message failed"
        return outcome

    async def _send(self, wave: Sequence[PendingMessage]) -> list[BaseException | None]:
        """Publish a wave in one write; None or the failure of each message, in order."""
        messages = [outgoing(row, self._topology) for row in wave]
        try:
            async with asyncio.timeout(self._timeout):  # the robust channel may be reconnecting
                channel = await self._channel.get_underlay_channel()
        except Exception as error:
            return [error] * len(wave)
        return await publish_together(channel, messages, within=self._timeout)


def _describe(error: BaseException) -> str:
    if isinstance(error, PublishError):
        return "returned by the broker: no queue is bound for its routing key"
    if isinstance(error, DeliveryError):
        return "nacked by the broker"
    if isinstance(error, TimeoutError):
        return "no confirm before the timeout"
    return f"{type(error).__name__}: {error}"
