"""Served predictions written behind the answers, so a request never waits for a write.

``record`` keeps the latest risk per member in memory; every ``interval`` seconds (or at once
when ``max_pending`` members wait) one statement upserts them all into ``risco``. A failed write
(the database away) keeps them for the next flush, newer answers replacing older ones; beyond
``max_pending`` members the oldest are dropped with a warning: the table is a record of what
was served, never needed to answer. ``stop`` flushes what is left.

``record_snapshot`` writes a snapshot's scores into ``risco_historico`` once per local day (the
day's first snapshot; a member with a row for the day keeps it, so replicas may all write).
"""

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import date
from zoneinfo import ZoneInfo

from frequenta_churn.serving.risk import MemberRisk
from frequenta_churn.serving.snapshot import BAND_ORDER, RiskSnapshot
from frequenta_churn.serving.store import BAND_CODES
from frequenta_churn.serving.waiting import first_of
from frequenta_churn.uow import UnitOfWork

log = logging.getLogger(__name__)


class RiskRecorder:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        tz: ZoneInfo,
        *,
        interval: float = 1.0,
        max_pending: int = 10_000,
    ) -> None:
        self._uow = uow
        self._tz = tz
        self._interval = interval
        self._max_pending = max_pending
        self._pending: dict[int, MemberRisk] = {}
        self._wake = asyncio.Event()
        self._flushing = asyncio.Lock()
        self._history_day: date | None = None
        self.written = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def record(self, risks: Iterable[MemberRisk]) -> None:
        for risk in risks:
            self._pending.pop(risk.member_id, None)  # re-inserted last: the newest
            self._pending[risk.member_id] = risk
        if len(self._pending) >= self._max_pending // 2:
            self._wake.set()

    async def flush(self) -> int:
        """Write what waits; the number of members written (0 when the write failed)."""
        async with self._flushing:
            batch, self._pending = self._pending, {}
            if not batch:
                return 0
            try:
                async with self._uow() as uow:
                    await uow.risks.upsert_latest(list(batch.values()))
                    await uow.commit()
            except Exception:
                log.warning("could not record %d served risks; retrying", len(batch), exc_info=True)
                self._pending = batch | self._pending  # newer answers win
                excess = len(self._pending) - self._max_pending
                if excess > 0:
                    for member_id in list(self._pending)[:excess]:
                        del self._pending[member_id]
                    log.warning("dropped the %d oldest unrecorded served risks", excess)
                return 0
            self.written += len(batch)
            return len(batch)

    async def record_snapshot(self, snapshot: RiskSnapshot) -> bool:
        """The day's scores into risco_historico, the first time a day is seen; True if
        written."""
        day = snapshot.computed_at.astimezone(self._tz).date()
        if day == self._history_day or snapshot.size == 0:
            return False
        codes = [BAND_CODES[band] for band in BAND_ORDER]
        async with self._uow() as uow:
            await uow.risks.add_history(
                day=day,
                member_ids=snapshot.member_ids,
                probabilities=snapshot.probabilities,
                bands=[codes[rank] for rank in snapshot.bands],
                version=snapshot.model.version,
                computed_at=snapshot.computed_at,
            )
            await uow.commit()
        self._history_day = day
        log.info("risk history of %s: %d members (%s)", day, snapshot.size, snapshot.model.version)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every ``interval`` seconds (sooner when many wait) until ``stop``; then the
        rest."""
        while not stop.is_set():
            await first_of(self._wake, stop, within=self._interval)
            self._wake.clear()
            await self.flush()
        await self.flush()
