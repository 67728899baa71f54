"""Publishing one work message and knowing the broker has it (publisher confirms, mandatory
routing to a declared queue). For commands answered at once, where an outbox is not needed: the
caller reports success only after :meth:`WorkPublisher.publish` returned."""

import asyncio

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

from frequenta_kit import request_ids
from frequenta_kit.broker import Topology, connect, declare_work_queue


def _request_id_header() -> dict[str, str]:
    request_id = request_ids.current()
    return {request_ids.METADATA_KEY: request_id} if request_id else {}


class WorkPublisher:
    """A lazily opened, robust, confirming channel to the work exchange."""

    def __init__(self, url: str, topology: Topology, *, connect_timeout: float = 5.0) -> None:
        self._url = url
        self._topology = topology
        self._connect_timeout = connect_timeout
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._declared: set[str] = set()
        self._lock = asyncio.Lock()

    async def _ready_channel(self) -> AbstractChannel:
        async with self._lock:
            if self._channel is None or self._channel.is_closed:
                if self._connection is None:
                    self._connection = await connect(self._url, give_up_after=self._connect_timeout)
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._declared.clear()
            return self._channel

    async def publish(
        self, queue: str, body: bytes, *, message_id: str, message_type: str, content_type: str
    ) -> None:
        """Send ``body`` to work queue ``queue``; raises unless the broker confirmed it."""
        channel = await self._ready_channel()
        if queue not in self._declared:
            await declare_work_queue(channel, self._topology, queue)
            self._declared.add(queue)
        exchange = await channel.get_exchange(self._topology.work_exchange)
        await exchange.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                type=message_type,
                content_type=content_type,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                headers=_request_id_header(),
            ),
            routing_key=self._topology.queue(queue),
            mandatory=True,
        )

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
            self._channel = None
