"""The projection's rows in churn's database: the inbox claim, and the monotonic merges.

Every write is a multi-row upsert (``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT``), one
statement whatever the number of rows, that keeps every known value:
- a member's plan, enrollment, cancellation and reason: ``COALESCE(new, stored)``;
- a visit's exit: ``COALESCE(new, stored)``; its member and entry never change.
A row is rewritten (and its ``atualizado_em`` moved) only when a value actually changes. Rows are
written in id order, so two transactions touching the same rows take their locks in the same
order (the live consumer and a rebuild may run at once).

The repository remembers the members its transaction merged (and whether one was cancelled): the
unit of work bumps their cache versions once it committed (docs/cache.md).
"""

import uuid
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_churn.ml.records import GymColumns, MemberRecord, VisitRecord
from frequenta_churn.projection import reads
from frequenta_churn.projection.facts import Change, MemberFacts, VisitFacts, merge

_CLAIM = text(
    "INSERT INTO processed_events (event_id, event_type) VALUES (:event_id, :event_type)"
    " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)

_CLAIM_MANY = text(
    "INSERT INTO processed_events (event_id, event_type)"
    " SELECT * FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS varchar[]))"
    " ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)

_MEMBER_COLUMNS = (
    "plano_codigo",
    "plano_duracao_meses",
    "data_matricula",
    "data_cancelamento",
    "motivo_cancelamento",
)
_MERGED = ", ".join(f"COALESCE(EXCLUDED.{c}, a.{c})" for c in _MEMBER_COLUMNS)
_MERGE_MEMBERS = text(
    f"INSERT INTO alunos AS a (id, {', '.join(_MEMBER_COLUMNS)})"
    " SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:plan_codes AS varchar[]),"
    " CAST(:plan_months AS smallint[]), CAST(:enrolled AS timestamptz[]),"
    " CAST(:cancelled AS timestamptz[]), CAST(:reasons AS varchar[]))"
    " ON CONFLICT (id) DO UPDATE SET"
    f" ({', '.join(_MEMBER_COLUMNS)}, atualizado_em) = ({_MERGED}, now())"
    f" WHERE ({', '.join(f'a.{c}' for c in _MEMBER_COLUMNS)}) IS DISTINCT FROM ({_MERGED})"
)
_MERGE_VISITS = text(
    "INSERT INTO checkins AS c (id, aluno_id, data_entrada, data_saida)"
    " SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:member_ids AS bigint[]),"
    " CAST(:entered AS timestamptz[]), CAST(:exited AS timestamptz[]))"
    " ON CONFLICT (id) DO UPDATE SET data_saida = EXCLUDED.data_saida, atualizado_em = now()"
    " WHERE EXCLUDED.data_saida IS NOT NULL AND c.data_saida IS DISTINCT FROM EXCLUDED.data_saida"
)


def _by_id(facts: Iterable[MemberFacts] | Iterable[VisitFacts], key: str) -> list:
    """One fact per id (repeated ids merged in the order given), sorted by id."""
    merged: dict[int, Any] = {}
    for fact in facts:
        ident = getattr(fact, key)
        previous = merged.get(ident)
        merged[ident] = fact if previous is None else merge(previous, fact)
    return [merged[ident] for ident in sorted(merged)]


class ProjectionRepository:
    """The projection in one unit of work's session (its transaction)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Members merged in this transaction, and whether a cancellation was among them.
        self.changed_members: set[int] = set()
        self.cancellation = False

    async def claim(self, event_id: uuid.UUID, event_type: str) -> bool:
        """Record the event in the inbox; False if it was there already (a duplicate: skip it).
        A concurrent claim of the same event waits for the first transaction's outcome."""
        claimed = await self._session.execute(
            _CLAIM, {"event_id": event_id, "event_type": event_type}
        )
        return claimed.first() is not None

    async def claim_many(self, events: Iterable[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
        """:meth:`claim` for several events (id, type) in one statement, in id order; the ids
        claimed now (an id given twice is claimed once)."""
        claims = dict(sorted(dict(events).items()))
        if not claims:
            return set()
        claimed = await self._session.execute(
            _CLAIM_MANY,
            {"event_ids": list(claims), "event_types": list(claims.values())},
        )
        return {row[0] for row in claimed}

    async def merge_members(self, facts: Iterable[MemberFacts]) -> None:
        members: list[MemberFacts] = _by_id(facts, "member_id")
        if not members:
            return
        self.changed_members.update(m.member_id for m in members)
        self.cancellation |= any(m.cancelled_at is not None for m in members)
        await self._session.execute(
            _MERGE_MEMBERS,
            {
                "ids": [m.member_id for m in members],
                "plan_codes": [m.plan_code for m in members],
                "plan_months": [m.plan_duration_months for m in members],
                "enrolled": [m.enrolled_at for m in members],
                "cancelled": [m.cancelled_at for m in members],
                "reasons": [m.cancellation_reason for m in members],
            },
        )

    async def merge_visits(self, facts: Iterable[VisitFacts]) -> None:
        visits: list[VisitFacts] = _by_id(facts, "visit_id")
        if not visits:
            return
        self.changed_members.update(v.member_id for v in visits)
        await self._session.execute(
            _MERGE_VISITS,
            {
                "ids": [v.visit_id for v in visits],
                "member_ids": [v.member_id for v in visits],
                "entered": [v.entered_at for v in visits],
                "exited": [v.exited_at for v in visits],
            },
        )

    async def apply(self, *changes: Change) -> None:
        """Merge what ``changes`` tell: one statement for the members, one for the visits."""
        await self.merge_members(m for change in changes for m in change.members)
        await self.merge_visits(v for change in changes for v in change.visits)

    # -- reads (frequenta_churn.projection.reads) ----------------------------------------------

    async def member_history(self, member_id: int) -> tuple[MemberRecord, list[VisitRecord]] | None:
        return await reads.member_history(self._session, member_id)

    async def active_columns(self, tz: ZoneInfo) -> GymColumns:
        return await reads.active_columns(self._session, tz)

    async def records(self) -> tuple[list[MemberRecord], list[VisitRecord]]:
        return await reads.records(self._session)
