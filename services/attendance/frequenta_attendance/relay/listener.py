"""Wakes the relay when rows are committed to the outbox: ``LISTEN`` on the channel the outbox
trigger notifies at commit. A lost connection is re-opened after a pause; meanwhile, and
always, the relay's polling catches what a missed notification would have announced."""

import asyncio
import logging

import asyncpg
from sqlalchemy import make_url

from frequenta_attendance.outbox import NOTIFY_CHANNEL

log = logging.getLogger(__name__)


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (``postgresql+asyncpg://...``) as a plain libpq DSN."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxListener:
    def __init__(self, database_url: str, wake: asyncio.Event, *, retry_after: float = 5.0):
        self._dsn = asyncpg_dsn(database_url)
        self._wake = wake
        self._retry_after = retry_after

    async def run(self) -> None:
        """Listen until cancelled."""
        while True:
            try:
                await self._listen_once()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning(
                    "cannot LISTEN %s (%r); polling only, retry in %.0fs",
                    NOTIFY_CHANNEL,
                    error,
                    self._retry_after,
                )
            await asyncio.sleep(self._retry_after)

    async def _listen_once(self) -> None:
        connection = await asyncpg.connect(self._dsn, timeout=10)
        lost = asyncio.Event()
        try:
            connection.add_termination_listener(lambda _: lost.set())
            await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            # Rows committed before LISTEN took effect are found by the first sweep.
            self._wake.set()
            await lost.wait()
            log.warning("LISTEN connection lost; polling only until it is back")
        finally:
            if not connection.is_closed():
                await connection.close(timeout=5)
