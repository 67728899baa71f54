"""Persistence of plans, members and visits. Repositories hold the SQL; they never commit (the
unit of work does) and turn the unique violations they know into domain errors."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta.events.v1 import events_pb2 as ev
from frequenta_attendance import check_in_sql
from frequenta_attendance.domain import errors
from frequenta_attendance.domain.enums import MemberStatus
from frequenta_attendance.domain.validation import Page
from frequenta_attendance.domain.visits import Window
from frequenta_attendance.models import (
    MEMBER_EMAIL_UNIQUE,
    PLAN_CODE_UNIQUE,
    VISIT_ENTRY_UNIQUE,
    VISIT_KEY_UNIQUE,
    Member,
    Plan,
    Visit,
)
from frequenta_attendance.outbox import OutboxRepository

UNIQUE_VIOLATION = "23505"


class ConcurrentVisit(Exception):
    """Another transaction committed, meanwhile, a visit with the same idempotency key or the
    same member and entry instant. Deciding again in a new transaction sees it."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.same_key = constraint == VISIT_KEY_UNIQUE


def _violated_unique_constraint(error: IntegrityError) -> str | None:
    if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
        return None
    return getattr(error.orig.__cause__, "constraint_name", None)


async def _flush(session: AsyncSession) -> str | None:
    """Flush pending rows; the name of the unique constraint they violate, if that is why it
    failed (the transaction is then unusable and must be rolled back)."""
    try:
        await session.flush()
    except IntegrityError as error:
        constraint = _violated_unique_constraint(error)
        if constraint is None:
            raise
        return constraint
    return None


class PlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, plan_id: int) -> Plan | None:
        return await self._session.get(Plan, plan_id)

    async def list(self, *, include_inactive: bool) -> Sequence[Plan]:
        query = select(Plan).order_by(Plan.duration_months, Plan.price, Plan.id)
        if not include_inactive:
            query = query.where(Plan.active)
        return (await self._session.scalars(query)).all()

    async def add(self, plan: Plan) -> None:
        self._session.add(plan)
        if await _flush(self._session) == PLAN_CODE_UNIQUE:
            raise errors.plan_code_taken(plan.code)


class MemberRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, member_id: int, *, for_update: bool = False) -> Member | None:
        """The member and their plan; ``for_update`` locks the member row until the end of the
        transaction, which serialises every change to one member's visits and membership."""
        query = select(Member).where(Member.id == member_id)
        if for_update:
            query = query.with_for_update(of=Member, key_share=True)
        return await self._session.scalar(query)

    async def lock_for_check_in(self, member_id: int) -> Row[Any] | None:
        """What a check-in needs of the member (``id``, ``enrolled_at``, ``cancelled_at``) and
        the id of the visit it may store (``visit_id``, drawn from the visits' sequence; unused
        if the check-in is refused), with the member's row locked as ``get(for_update=True)``
        locks it: one plain statement, no ORM object."""
        result = await self._session.execute(check_in_sql.LOCK_MEMBER, {"member_id": member_id})
        return result.first()

    async def email_taken(self, email: str) -> bool:
        query = select(Member.id).where(func.lower(Member.email) == func.lower(email)).limit(1)
        return await self._session.scalar(query) is not None

    async def add(self, member: Member) -> None:
        self._session.add(member)
        if await _flush(self._session) == MEMBER_EMAIL_UNIQUE:
            raise errors.email_taken()

    async def search(
        self,
        *,
        plan_id: int | None,
        status: MemberStatus,
        text: str | None,
        page: Page,
        member_ids: Sequence[int] | None = None,
    ) -> tuple[Sequence[Member], int]:
        """One page of matching members, newest enrollment first, and how many match."""
        conditions: list[Any] = []
        if member_ids is not None:
            conditions.append(Member.id.in_(member_ids))
        if plan_id is not None:
            conditions.append(Member.plan_id == plan_id)
        if status is MemberStatus.ACTIVE:
            conditions.append(Member.active)
        elif status is MemberStatus.CANCELLED:
            conditions.append(~Member.active)
        if text:
            conditions.append(
                or_(
                    Member.name.icontains(text, autoescape=True),
                    Member.email.icontains(text, autoescape=True),
                )
            )
        total = await self._session.scalar(select(func.count(Member.id)).where(*conditions))
        query = (
            select(Member)
            .where(*conditions)
            .order_by(Member.enrolled_at.desc(), Member.id.desc())
            .offset(page.offset)
            .limit(page.size)
        )
        return (await self._session.scalars(query)).all(), total or 0

    async def batch_after(
        self, after_id: int, *, enrolled_before: datetime | None, limit: int
    ) -> Sequence[Member]:
        """Up to ``limit`` members with ids above ``after_id``, in id order (keyset paging)."""
        query = select(Member).where(Member.id > after_id).order_by(Member.id).limit(limit)
        if enrolled_before is not None:
            query = query.where(Member.enrolled_at <= enrolled_before)
        return (await self._session.scalars(query)).all()


EXPORTED_VISIT_COLUMNS = (
    Visit.id,
    Visit.member_id,
    Visit.entered_at,
    Visit.exited_at,
    Visit.source,
    Visit.device_id,
    Visit.idempotency_key,
)


class VisitRepository:
    def __init__(self, session: AsyncSession, outbox: OutboxRepository) -> None:
        self._session = session
        self._outbox = outbox

    async def claim_idempotency_key(self, key: str) -> bool:
        """Take the key's transaction-scoped advisory lock, without waiting: False while
        another transaction holds it (a check-in with this key is in flight).

        The lock is the one-key (bigint) form on a 64-bit hash of the key
        (``hashtextextended``), so two different keys in flight practically never meet; the
        relay and the reports use the two-key form, a separate key space."""
        claimed = func.pg_try_advisory_xact_lock(func.hashtextextended(key, 0))
        return bool(await self._session.scalar(select(claimed)))

    async def keyed_and_within(
        self, member_id: int, window: Window, key: str | None
    ) -> tuple[Visit | None, list[Row[Any]]]:
        """The visit stored with the idempotency ``key`` (of any member; None without a key),
        and the member's visits entered within ``window`` in entry order (rows with the Visit's
        attribute names), in one query (what a check-in reads)."""
        query = check_in_sql.keyed_and_within(
            bounded=window.until is not None, keyed=key is not None
        )
        parameters = {"member_id": member_id, "since": window.since, "until": window.until}
        found = (await self._session.execute(query, {**parameters, "key": key})).all()
        keyed = next((row for row in found if key is not None and row.idempotency_key == key), None)
        nearby = [
            row
            for row in found
            if row.member_id == member_id
            and row.entered_at >= window.since
            and (window.until is None or row.entered_at <= window.until)
        ]
        return (Visit(**keyed._asdict()) if keyed is not None else None), nearby

    async def entered_within(self, member_id: int, window: Window) -> Sequence[Visit]:
        query = select(Visit).where(Visit.member_id == member_id, Visit.entered_at >= window.since)
        if window.until is not None:
            query = query.where(Visit.entered_at <= window.until)
        return (await self._session.scalars(query.order_by(Visit.entered_at))).all()

    async def latest_open(self, member_id: int, *, open_since: datetime) -> Visit | None:
        """The latest exit-less visit that entered after ``open_since``."""
        query = (
            select(Visit)
            .where(
                Visit.member_id == member_id,
                Visit.exited_at.is_(None),
                Visit.entered_at > open_since,
            )
            .order_by(Visit.entered_at.desc())
            .limit(1)
        )
        return await self._session.scalar(query)

    async def add(self, visit: Visit, event: ev.EventEnvelope) -> None:
        """Store ``visit`` (its id already drawn, see MemberRepository.lock_for_check_in) and
        the outbox row of its ``event`` in one statement, now. ``visit`` stays a plain object,
        outside the session. ConcurrentVisit if another transaction stored its key or entry
        first."""
        if visit.id is None:
            raise ValueError("the visit's id is drawn before it is added")
        parameters = {
            "visita_id": visit.id,
            "visita_aluno_id": visit.member_id,
            "visita_data_entrada": visit.entered_at,
            "visita_data_saida": visit.exited_at,
            "visita_origem": visit.source,
            "visita_dispositivo_id": visit.device_id,
            "visita_chave_idempotencia": visit.idempotency_key,
            **self._outbox.event_row(event),
        }
        try:
            await self._session.execute(check_in_sql.VISIT_AND_EVENT, parameters)
        except IntegrityError as error:
            constraint = _violated_unique_constraint(error)
            if constraint in (VISIT_KEY_UNIQUE, VISIT_ENTRY_UNIQUE):
                raise ConcurrentVisit(constraint) from None
            raise

    async def times_of_member(self, member_id: int) -> Sequence[Row[tuple[datetime, Any]]]:
        """Entry and exit of every visit of the member (rows with ``entered_at``, ``exited_at``)."""
        query = select(Visit.entered_at, Visit.exited_at).where(Visit.member_id == member_id)
        return (await self._session.execute(query)).all()

    async def page_in_range(
        self, member_id: int, *, start: datetime, end: datetime, page: Page
    ) -> tuple[Sequence[Visit], int]:
        """Visits entered in [start, end), newest first, and how many there are."""
        conditions = (
            Visit.member_id == member_id,
            Visit.entered_at >= start,
            Visit.entered_at < end,
        )
        total = await self._session.scalar(select(func.count(Visit.id)).where(*conditions))
        query = (
            select(Visit)
            .where(*conditions)
            .order_by(Visit.entered_at.desc())
            .offset(page.offset)
            .limit(page.size)
        )
        return (await self._session.scalars(query)).all(), total or 0

    async def batch_after(
        self,
        after: tuple[datetime, int] | None,
        *,
        since: datetime | None,
        until: datetime,
        limit: int,
    ) -> Sequence[Row[Any]]:
        """Up to ``limit`` visits entered in [since, until) after the ``after`` (entry, id)
        position, in entry order (keyset paging): plain rows with the Visit's attribute names
        (no ORM objects: exports read hundreds of thousands)."""
        query: Select[Any] = select(*EXPORTED_VISIT_COLUMNS).where(Visit.entered_at < until)
        if since is not None:
            query = query.where(Visit.entered_at >= since)
        if after is not None:
            query = query.where(tuple_(Visit.entered_at, Visit.id) > tuple_(*after))
        query = query.order_by(Visit.entered_at, Visit.id).limit(limit)
        return (await self._session.execute(query)).all()
