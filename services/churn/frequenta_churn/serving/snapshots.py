"""The at-risk list's snapshot: every active member scored by the serving model, kept in memory
and replaced when the model changes and every ``interval`` seconds
(FREQUENTA_RISK_SNAPSHOT_SECONDS).

A list request uses the snapshot of the model it started with. Right after a swap the first
request waits for the new model's snapshot (the keeper starts it at once); concurrent requests
share that one computation. If it fails (the database away) the previous snapshot still
answers, its version stated. Scoring runs in a thread, off the event loop that answers
GetChurnRisk.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from frequenta_churn.ml.records import GymColumns
from frequenta_churn.serving.model import ModelHolder, ServingModel
from frequenta_churn.serving.snapshot import RiskSnapshot, score_snapshot
from frequenta_churn.serving.waiting import first_of

log = logging.getLogger(__name__)

ReadActive = Callable[[ZoneInfo], Awaitable[GymColumns]]
OnSnapshot = Callable[[RiskSnapshot], Awaitable[object]]


class SnapshotKeeper:
    def __init__(
        self,
        holder: ModelHolder,
        read_active: ReadActive,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        *,
        interval: float = 300.0,
        on_snapshot: OnSnapshot | None = None,
    ) -> None:
        self._holder = holder
        self._read_active = read_active
        self._clock = clock
        self._tz = tz
        self._interval = interval
        self._on_snapshot = on_snapshot
        self._snapshot: RiskSnapshot | None = None
        self._task: asyncio.Task[RiskSnapshot] | None = None
        self._swapped = asyncio.Event()
        self._recording: set[asyncio.Task[None]] = set()
        holder.on_swap(lambda model: self._swapped.set())
        self.computed = 0
        self.last_seconds: float | None = None

    @property
    def snapshot(self) -> RiskSnapshot | None:
        return self._snapshot

    async def for_model(self, model: ServingModel) -> RiskSnapshot:
        """The snapshot scored by ``model`` (computed now if there is none yet); the previous
        one if that computation fails."""
        snapshot = self._snapshot
        if snapshot is not None and snapshot.model.version == model.version:
            return snapshot
        try:
            return await self.refresh()
        except Exception:
            if snapshot is None:
                raise
            log.warning("rescoring failed; serving the snapshot of %s", snapshot.model.version)
            return snapshot

    async def refresh(self) -> RiskSnapshot:
        """Score every active member with the serving model now; callers arriving while one
        runs share it."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._compute())
        return await asyncio.shield(self._task)

    async def _compute(self) -> RiskSnapshot:
        model = await self._holder.get()
        at = self._clock()
        started = asyncio.get_running_loop().time()
        gym = await self._read_active(self._tz)
        snapshot = await asyncio.to_thread(score_snapshot, model, gym, at)
        self._snapshot = snapshot
        self.computed += 1
        self.last_seconds = asyncio.get_running_loop().time() - started
        log.info(
            "risk snapshot: %d active members scored by %s in %.2fs",
            snapshot.size,
            model.version,
            self.last_seconds,
        )
        if self._on_snapshot is not None:  # in the background: no list request waits for it
            task = asyncio.create_task(self._record(snapshot))
            self._recording.add(task)
            task.add_done_callback(self._recording.discard)
        return snapshot

    async def _record(self, snapshot: RiskSnapshot) -> None:
        assert self._on_snapshot is not None
        try:
            await self._on_snapshot(snapshot)
        except Exception:
            log.warning("could not record the risk snapshot", exc_info=True)

    async def settled(self) -> None:
        """Wait for the snapshots' recordings in progress (on stop; tests)."""
        while self._recording:
            await asyncio.gather(*list(self._recording), return_exceptions=True)

    async def run(self, stop: asyncio.Event) -> None:
        """Rescore on every model swap and every ``interval`` seconds, until ``stop``."""
        while not stop.is_set():
            if self._holder.current is not None:
                try:
                    await self.refresh()
                except Exception:
                    log.warning("could not score the risk snapshot", exc_info=True)
            await first_of(self._swapped, stop, within=self._interval)
            self._swapped.clear()
