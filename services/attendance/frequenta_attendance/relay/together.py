"""Many messages published on one channel in one write, each confirmed by the broker.

aio-pika (and aiormq's ``basic_publish`` under it) sends one message per call: it marshals
the frames, waits for them to be written to the socket, then waits for the confirm. With
hundreds of messages in flight that is a coroutine, a lock, a socket write and a drain per
message: about 150 µs of the relay's CPU per message on the 2-core development machine, and
as much again in RabbitMQ, which reads them one small packet at a time. ``publish_together``
does what ``basic_publish`` does for each message (take the channel's next delivery tag,
register the confirm future and the message id for returns), under the channel's lock, then
marshals every message into one frame buffer and writes it at once: about 40 µs per message
in the relay (its SQL included) and about as much in the broker (docs/events.md, "Throughput").

It uses the state aiormq's ``Channel.basic_publish`` keeps (``delivery_tag``,
``confirmations``, ``message_id_delivery_tag``, ``write_queue``, ``max_content_size``,
``lock``), so confirms, nacks, returns (``mandatory``) and a channel closing are handled by
aiormq's own reader exactly as for ``basic_publish``. aiormq is pinned (requirements.lock);
``tests/integration/relay/test_relay_together.py`` runs this against the real broker (a
confirm, a nack, a return, a body over several frames, a closed channel, the bookkeeping left
settled), as do all the relay's integration tests: an aiormq that keeps its state otherwise
fails them.
"""

import asyncio
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from aiormq.abc import AbstractChannel, ChannelFrame
from pamqp import commands as spec
from pamqp.body import ContentBody
from pamqp.header import ContentHeader


@dataclass(frozen=True)
class Outgoing:
    exchange: str
    routing_key: str
    body: bytes
    properties: spec.Basic.Properties  # with a message_id: returns are matched on it
    mandatory: bool = False


def _bodies(body: bytes, largest: int) -> list[ContentBody]:
    """``body`` in content frames of at most ``largest`` bytes (as aiormq splits it)."""
    if not body:
        return []
    if len(body) < largest:
        return [ContentBody(body)]
    with io.BytesIO(body) as data:
        return [ContentBody(part) for part in iter(partial(data.read, largest), b"")]


async def _send(channel: AbstractChannel, messages: Sequence[Outgoing]) -> list[asyncio.Future]:
    """Register and write ``messages``; their confirm futures, in order. The frames are built
    first and the delivery tags taken only once they are queued for the socket: a tag taken for
    a message the broker never sees would shift every later confirm onto the wrong one."""
    ids = [message.properties.message_id for message in messages]
    if not all(ids):
        raise ValueError("a message published together needs a message_id")
    frames: list[object] = []
    for message in messages:
        frames.append(
            spec.Basic.Publish(
                exchange=message.exchange,
                routing_key=message.routing_key,
                mandatory=message.mandatory,
            )
        )
        frames.append(ContentHeader(0, len(message.body), message.properties))
        frames.extend(_bodies(message.body, channel.max_content_size))  # type: ignore[attr-defined]
    payload = ChannelFrame.marshall(channel.number, frames).payload  # type: ignore[arg-type]
    async with channel.lock:  # type: ignore[attr-defined]
        confirms = [channel.create_future() for _ in messages]
        written = channel.create_future()
        frame = ChannelFrame(payload=payload, should_close=False, drain_future=written)
        try:
            # The write queue is bounded: this may wait for room (and be cancelled) before the
            # frames are queued and any tag is taken.
            await channel.write_queue.put(frame)  # type: ignore[attr-defined]
        except BaseException:
            for future in (*confirms, written):
                future.cancel()
            raise
        # Nothing yields from here until the tags are taken, so no confirm is read before.
        first = channel.delivery_tag + 1  # type: ignore[attr-defined]
        tags = range(first, first + len(ids))
        for tag, message_id, confirm in zip(tags, ids, confirms, strict=True):
            channel.confirmations[tag] = confirm  # type: ignore[attr-defined]
            channel.message_id_delivery_tag[message_id] = tag  # type: ignore[attr-defined]
            confirm.add_done_callback(partial(_forget, channel, message_id, tag))
        channel.delivery_tag = first + len(ids) - 1  # type: ignore[attr-defined]
        await written
    return confirms


def _forget(channel: AbstractChannel, message_id: str, tag: int, _: asyncio.Future) -> None:
    """Drop the message id kept for returns once its confirm is settled (as aiormq does)."""
    kept = channel.message_id_delivery_tag  # type: ignore[attr-defined]
    if kept.get(message_id) == tag:
        del kept[message_id]


async def publish_together(
    channel: AbstractChannel, messages: Sequence[Outgoing], *, within: float
) -> list[BaseException | None]:
    """Publish ``messages`` on ``channel`` (publisher confirms on, returns raising) in one
    write and wait for their confirms, ``within`` seconds at most in all. For each message,
    in order: None when the broker confirmed it, else why not: ``DeliveryError`` (nacked),
    ``PublishError`` (returned: mandatory and routed nowhere), ``TimeoutError`` (no confirm
    in time, or not even written), or the error that closed the channel. Frames written
    before a failure may still reach the broker."""
    if not messages:
        return []
    if any(m.mandatory for m in messages) and not getattr(channel, "on_return_raises", False):
        raise ValueError("mandatory messages need a channel opened with on_return_raises=True")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    try:
        async with asyncio.timeout_at(deadline):
            confirms = await _send(channel, messages)
    except TimeoutError as error:
        return [error] * len(messages)
    except Exception as error:  # the channel closed or failed: nothing confirmed
        return [error] * len(messages)
    _, late = await asyncio.wait(confirms, timeout=max(0.0, deadline - loop.time()))
    for confirm in late:
        confirm.cancel()  # aiormq ignores a confirm arriving after this
    return [_outcome(confirm, confirm in late) for confirm in confirms]


def _outcome(confirm: asyncio.Future, late: bool) -> BaseException | None:
    if late:
        return TimeoutError("no confirm before the timeout")
    if confirm.cancelled():
        return asyncio.CancelledError("the channel was closed")
    return confirm.exception()
