"""The relay's loop: sweep the outbox partitions, publish, mark published, wait for the next
notification (or poll), back off after failures, stop cleanly.

One sweep tries every partition with unpublished rows once, in a random order, in rounds: each
round is one transaction that claims up to half of the partitions not tried yet (so a second
replica always finds some free), reads up to a batch of their unpublished rows in id order,
publishes them and marks the confirmed ones published before it commits and lets the partitions
go. Which partitions have rows is read by the claim itself, from the first batch of unpublished
rows: when a sweep finds a few rows (the usual case, at hundreds of events per second), it is
one transaction of four statements, and an idle poll one of two.
"""

import asyncio
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection
from aiormq.exceptions import AMQPError
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine
from yarl import URL

from frequenta_attendance.relay import store
from frequenta_attendance.relay.listener import OutboxListener
from frequenta_attendance.relay.publisher import Publisher
from frequenta_attendance.relay.waits import until, wait_any
from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit.broker import connect
from frequenta_kit.database import database_unreachable

log = logging.getLogger(__name__)

FIRST_BACKOFF = 0.5
# How often the outbox lag gauges are measured (the log line has its own, longer interval).
LAG_METRIC_INTERVAL = 5.0

PUBLISHED = Counter(
    "frequenta_relay_messages_published_total",
    "Outbox rows published to RabbitMQ and confirmed by it (events and work messages).",
)
PUBLISH_FAILURES = Counter(
    "frequenta_relay_publish_failures_total",
    "Outbox rows a publish failed for (nacked, returned, timed out); they stay and are retried.",
)
PENDING = Gauge(
    "frequenta_relay_outbox_pending_messages",
    "Outbox rows not yet published, as last measured.",
)
OLDEST_AGE = Gauge(
    "frequenta_relay_outbox_oldest_pending_age_seconds",
    "Age of the oldest unpublished outbox row (0 when none waits): the outbox lag.",
)


@dataclass
class Sweep:
    published: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)
    # A round read a full batch: rows may be left that no notification will announce.
    full_batch: bool = False


class Relay:
    def __init__(self, settings: AttendanceSettings, engine: AsyncEngine) -> None:
        self._settings = settings
        self._engine = engine
        self._topology = settings.topology
        self._partitions = settings.relay_partitions
        # Partitions 0..n-1 hold members' rows, partition n the rows without a member.
        self._per_round = math.ceil((self._partitions + 1) / 2)
        self._wake = asyncio.Event()
        self._backoff = 0.0
        self._last_sweep = -math.inf  # when the latest sweep began (time.monotonic)
        # Rows this relay published since it started (for tests now, metrics later).
        self.published = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; the batch in flight then is finished first."""
        broker = _safe(self._settings.rabbitmq_url)
        connection = await until(stop, self._connect(broker))
        if connection is None:
            return
        listener = asyncio.create_task(
            OutboxListener(self._settings.attendance_database_url, self._wake).run()
        )
        try:
            opened = await self._open(connection, stop)
            if opened is None:
                return
            log.info(
                "relay publishing the outbox to %s, namespace %r, %d partitions",
                broker,
                self._topology.namespace,
                self._partitions,
            )
            await self._loop(*opened, stop)
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await connection.close()

    async def _connect(self, broker: str) -> AbstractRobustConnection:
        while True:
            try:
                return await connect(self._settings.rabbitmq_url, give_up_after=30)
            except (ConnectionError, OSError) as error:
                log.warning("RabbitMQ unreachable at %s (%s); still trying", broker, error)

    async def _open(
        self, connection: AbstractRobustConnection, stop: asyncio.Event
    ) -> tuple[AbstractRobustChannel, Publisher] | None:
        """A confirming channel with both exchanges declared; None if stopped before."""
        pause = FIRST_BACKOFF
        while not stop.is_set():
            try:
                channel = cast(
                    AbstractRobustChannel,
                    await connection.channel(publisher_confirms=True, on_return_raises=True),
                )
                publisher = Publisher(
                    channel, self._topology, timeout=self._settings.relay_publish_timeout_seconds
                )
                await publisher.declare()
                return channel, publisher
            except (AMQPError, ConnectionError, OSError) as error:
                log.warning("cannot open a channel (%r); retrying in %.1fs", error, pause)
                await wait_any(pause, stop)
                pause = min(pause * 2, self._settings.relay_max_backoff_seconds)
        return None

    async def _loop(
        self, channel: AbstractRobustChannel, publisher: Publisher, stop: asyncio.Event
    ) -> None:
        poll = self._settings.relay_poll_interval_seconds
        next_report = next_measure = time.monotonic()
        while not stop.is_set():
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + self._settings.relay_lag_log_interval_seconds
                next_measure = time.monotonic() + LAG_METRIC_INTERVAL
                await self._report()
            elif time.monotonic() >= next_measure:
                next_measure = time.monotonic() + LAG_METRIC_INTERVAL
                await self._measure_lag()
            if await until(stop, channel.ready(), within=poll, value=True) is None:
                continue  # the broker is away: the robust connection is reconnecting
            await self._pace(stop)
            self._wake.clear()
            self._last_sweep = time.monotonic()
            sweep = await self._sweep(publisher, stop)
            if sweep.failed:
                self._backoff = min(
                    max(self._backoff * 2, FIRST_BACKOFF),
                    self._settings.relay_max_backoff_seconds,
                )
                log.warning(
                    "%d outbox rows not published (%s); retrying in %.1fs",
                    sweep.failed,
                    "; ".join(sorted(set(sweep.reasons))[:3]),
                    self._backoff,
                )
                await wait_any(self._backoff, stop)
                continue
            self._backoff = 0.0
            if sweep.full_batch:
                self._last_sweep = -math.inf  # a backlog: sweep again at once
            else:
                # Every row committed before this sweep began was read (none beyond a batch);
                # rows committed since have notified, setting the wake event again.
                await wait_any(poll, stop, self._wake)

    async def _pace(self, stop: asyncio.Event) -> None:
        """Wait until the minimum interval since the previous sweep began has passed: the
        events committed meanwhile go out together (one transaction, one write, and one
        delivery batch for churn's projection) instead of one sweep each."""
        interval = self._settings.relay_min_sweep_interval_seconds
        left = self._last_sweep + interval - time.monotonic()
        if left > 0:
            await wait_any(left, stop)

    async def _sweep(self, publisher: Publisher, stop: asyncio.Event) -> Sweep:
        sweep = Sweep()
        remaining = list(range(self._partitions + 1))
        random.shuffle(remaining)
        while remaining and not stop.is_set():
            try:
                claimed = await self._round(publisher, remaining, sweep)
            except Exception as error:
                if not database_unreachable(error):
                    raise
                sweep.failed += 1
                sweep.reasons.append(f"attendance database unreachable: {error!r}"[:200])
                break
            if len(claimed) < self._per_round:
                # Every partition with rows was tried: the others are held by other replicas
                # (who publish them) or had none when the round began (rows committed since
                # then have notified, setting the wake event again).
                break
            remaining = [p for p in remaining if p not in claimed]
        return sweep

    async def _round(
        self, publisher: Publisher, candidates: Sequence[int], sweep: Sweep
    ) -> list[int]:
        async with self._engine.connect() as connection, connection.begin():
            await store.use_index_plans(connection)
            claimed = await store.claim_waiting_partitions(
                connection,
                candidates,
                partitions=self._partitions,
                limit=self._per_round,
                peek=self._settings.relay_batch_size,
            )
            if not claimed:
                return claimed
            rows = await store.pending(
                connection,
                claimed,
                partitions=self._partitions,
                limit=self._settings.relay_batch_size,
                index_plans=False,
            )
            sweep.full_batch |= len(rows) >= self._settings.relay_batch_size
            if rows:
                started = time.perf_counter()
                outcome = await publisher.publish(rows)
                await store.mark_published(connection, outcome.confirmed)
                sweep.published += len(outcome.confirmed)
                self.published += len(outcome.confirmed)
                PUBLISHED.inc(len(outcome.confirmed))
                PUBLISH_FAILURES.inc(len(outcome.failed))
                sweep.failed += len(outcome.failed)
                sweep.reasons.extend(outcome.failed.values())
                log.debug(
                    "published %d of %d outbox rows in %.3fs (partitions %s)",
                    len(outcome.confirmed),
                    len(rows),
                    time.perf_counter() - started,
                    claimed,
                )
        return claimed

    async def _measure_lag(self) -> None:
        """Update the outbox lag gauges (left as they were while the database is away)."""
        try:
            async with self._engine.connect() as connection:
                count, age = await store.backlog(connection)
        except Exception as error:
            if not database_unreachable(error):
                raise
            return
        _set_lag(count, age)

    async def _report(self) -> None:
        """Log the outbox lag; delete published rows past their retention."""
        try:
            async with self._engine.begin() as connection:
                count, age = await store.backlog(connection)
                pruned = 0
                if self._settings.relay_retention_hours > 0:
                    pruned = await store.prune(
                        connection, older_than=self._settings.relay_retention_hours * 3600
                    )
        except Exception as error:
            if not database_unreachable(error):
                raise
            log.warning("outbox lag unknown: attendance database unreachable (%r)", error)
            return
        _set_lag(count, age)
        if count:
            log.info("outbox lag: %.1fs (oldest of %d unpublished rows)", age, count)
        else:
            log.info("outbox lag: 0 (every row published)")
        if pruned:
            log.info("pruned %d published outbox rows past retention", pruned)


def _set_lag(count: int, age: float | None) -> None:
    PENDING.set(count)
    OLDEST_AGE.set(age or 0.0)


def _safe(url: str) -> str:
    """The broker's address for logs, without credentials."""
    parsed = URL(url)
    return f"{parsed.host}:{parsed.port}{parsed.path}"
