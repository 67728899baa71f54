"""Helpers of the relay tests: instants, outbox queries, what an idempotent consumer makes of
the deliveries, and a TCP proxy that can cut every connection and refuse new ones (a broker
outage as the relay sees it)."""

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aio_pika.abc import AbstractIncomingMessage
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.events.v1 import events_pb2 as ev


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def ts(instant: datetime) -> Timestamp:
    encoded = Timestamp()
    encoded.FromDatetime(instant)
    return encoded


async def outbox_of(engine: AsyncEngine, member_ids: set[int]) -> list[tuple[str, int, bool]]:
    """(message id, member, published?) of the members' rows, in outbox order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT message_id::text, aggregate_id, published_at IS NOT NULL FROM outbox"
                " WHERE aggregate_id = ANY(CAST(:ids AS bigint[])) ORDER BY id"
            ),
            {"ids": sorted(member_ids)},
        )
        return [tuple(row) for row in rows]


async def visit_ids_of(engine: AsyncEngine, member_ids: set[int]) -> list[int]:
    """Ids of every stored visit of the members."""
    async with engine.connect() as connection:
        rows = await connection.scalars(
            text(
                "SELECT id FROM checkins WHERE aluno_id = ANY(CAST(:ids AS bigint[])) ORDER BY id"
            ),
            {"ids": sorted(member_ids)},
        )
        return list(rows)


@dataclass
class Inbox:
    """A consumer idempotent on the message id (docs/events.md, "Consuming events"): each event
    is applied the first time it arrives; later copies only count as duplicates."""

    applied: dict[str, ev.EventEnvelope] = field(default_factory=dict)
    duplicates: int = 0

    @classmethod
    def of(cls, messages: Iterable[AbstractIncomingMessage], member_ids: set[int]) -> "Inbox":
        inbox = cls()
        for message in messages:
            envelope = ev.EventEnvelope.FromString(message.body)
            if envelope.member_id not in member_ids:
                continue
            assert message.message_id == envelope.event_id, "message id = event id"
            if message.message_id in inbox.applied:
                inbox.duplicates += 1
            else:
                inbox.applied[message.message_id] = envelope
        return inbox

    def visit_ids(self) -> list[int]:
        """The visits of the applied check-in events (one entry per event)."""
        return [
            e.check_in_recorded.visit_id
            for e in self.applied.values()
            if e.WhichOneof("payload") == "check_in_recorded"
        ]

    def in_member_order(self, outbox: list[tuple[str, int, bool]]) -> bool:
        """Whether each member's events were first applied in outbox (commit) order."""
        rank = {message_id: n for n, (message_id, _, _) in enumerate(outbox)}
        by_member: dict[int, list[int]] = {}
        for message_id, envelope in self.applied.items():
            by_member.setdefault(envelope.member_id, []).append(rank[message_id])
        return all(ranks == sorted(ranks) for ranks in by_member.values())


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``. ``close()`` aborts every connection and stops
    listening; ``open()`` listens again on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.BaseTransport] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self.port = 0
        self.accepted = 0

    async def open(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._transports.update({writer.transport, up_writer.transport})
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pipe = asyncio.create_task(self._pipe(source, sink))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
        finally:
            sink.transport.abort()
            self._transports.discard(sink.transport)
