"""Helpers of the relay tests: instants, outbox queries, and a TCP proxy that can cut every
connection and refuse new ones (a broker outage as the relay sees it)."""

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


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
