"""A :class:`~frequenta_kit.consumer.WorkConsumer` that hands its handler every message waiting
at once: for consumers whose per-message cost is mostly per transaction (churn's projection).

Deliveries are buffered as the broker sends them (up to ``prefetch`` unacked); one loop takes
what is waiting, up to ``max_batch`` messages, and calls ``batch_handler`` with all of them, so
a batch is what arrived while the previous one was handled: one message when the queue is
quiet, more under load, never a wait for more. Then:

- the batch handler returned: every message is acked (it committed their work together);
- it raised Unavailable: it is called again in place, as WorkConsumer does with one message;
  when the patience runs out (or the consumer stops) every message is requeued, or
  dead-lettered on its last allowed delivery, as one message would be;
- it raised anything else (a poison message among them, PermanentFailure included): each
  message is handled alone by ``handler``, concurrently, exactly as WorkConsumer handles it, so
  the poison message ends in the dead-letter queue with its reason and the others are applied.

A batch of one message goes straight to ``handler``. Same guarantees as WorkConsumer: acked
only after the work committed, bounded redeliveries, at-least-once (handlers idempotent).
Metrics: the same counters per message; the handling time of a batch is observed for each of
its messages; ``frequenta_consumer_batch_size_messages`` the sizes of the batches.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import Histogram

from frequenta_kit import request_ids
from frequenta_kit.consumer import (
    FAILED,
    HANDLING_SECONDS,
    PROCESSED,
    WorkConsumer,
    WorkMessage,
    request_id_of,
    work_message,
)
from frequenta_kit.errors import Unavailable

log = logging.getLogger(__name__)

BatchHandler = Callable[[Sequence[WorkMessage]], Awaitable[None]]

BATCH_SIZE = Histogram(
    "frequenta_consumer_batch_size_messages",
    "Messages handed to a batch handler at once, by queue.",
    ["queue"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)


@dataclass(kw_only=True)
class BatchConsumer(WorkConsumer):
    # Handles several messages in one go (one transaction); ``handler`` handles one.
    batch_handler: BatchHandler
    # At most this many messages per batch (and never more than the prefetch lets arrive).
    max_batch: int = 64
    _waiting: list[AbstractIncomingMessage] = field(default_factory=list, init=False)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _drain: asyncio.Task[None] | None = field(default=None, init=False)

    async def start(self) -> None:
        self._drain = asyncio.create_task(self._drain_loop())
        await super().start()

    async def stop(self, grace: float = 30.0) -> None:
        """Stop taking messages, handle the ones delivered already (up to ``grace``),
        disconnect; what is left unacked goes back to the queue."""
        await self._stop_taking()
        self._arrived.set()  # the drain loop ends once what is waiting is handled
        if self._drain is not None:
            done, _ = await asyncio.wait({self._drain}, timeout=grace)
            if not done:
                self._drain.cancel()
                await asyncio.gather(self._drain, return_exceptions=True)
        await self._disconnect()

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._waiting.append(message)
        self._arrived.set()

    async def _drain_loop(self) -> None:
        while True:
            await self._arrived.wait()
            await asyncio.sleep(0)  # deliveries read from the socket with it join the batch
            if not self._waiting:
                if self._stopping.is_set():
                    return
                self._arrived.clear()
                continue
            batch = self._waiting[: self.max_batch]
            del self._waiting[: len(batch)]
            try:
                await self._process_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception:  # an ack on a channel gone with the broker: redelivered later
                log.exception("settling a batch of %d messages failed", len(batch))

    async def _process_batch(self, batch: list[AbstractIncomingMessage]) -> None:
        if len(batch) == 1:
            await self._process(batch[0])
            return
        BATCH_SIZE.labels(self.queue).observe(len(batch))
        works = [work_message(message) for message in batch]
        started = time.perf_counter()
        try:
            with request_ids.bound(None):
                await self._patiently(
                    lambda: self.batch_handler(works), f"a batch of {len(batch)} messages"
                )
        except Unavailable as error:
            for message, work in zip(batch, works, strict=True):
                with request_ids.bound(request_id_of(message)):
                    outcome = await self._settle_failure(message, work, error)
                FAILED.labels(self.queue, outcome).inc()
            return
        except Exception as error:
            log.warning(
                "a batch of %d messages failed (%r); handling them one by one", len(batch), error
            )
            await asyncio.gather(*(self._process(message) for message in batch))
            return
        elapsed = time.perf_counter() - started
        await _ack_all(batch)
        for _ in batch:
            HANDLING_SECONDS.labels(self.queue).observe(elapsed)
        PROCESSED.labels(self.queue).inc(len(batch))


async def _ack_all(batch: Sequence[AbstractIncomingMessage]) -> None:
    """Ack every message of ``batch``: with one ``multiple`` ack of the latest delivery tag
    when they came on one channel. Batches are settled one after the other in delivery order,
    so every earlier delivery of the channel is already acked, requeued or dead-lettered."""
    channels = {id(message.channel) for message in batch}
    tags = [message.delivery_tag for message in batch]
    if len(channels) == 1 and all(tag is not None for tag in tags):
        await max(batch, key=lambda message: message.delivery_tag or 0).ack(multiple=True)
        return
    for message in batch:
        await message.ack()
