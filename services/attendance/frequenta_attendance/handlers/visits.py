"""Check-ins and check-outs (docs/rules.md, "Visits").

Every change to one member's visits first locks the member's row, so two concurrent check-ins of
one member are decided one after the other and cannot both open a visit (and their events are
written, and later published, in that order). A replayed check-in writes no event.

A check-in with an idempotency key claims the key before anything else, with a transaction-scoped
advisory lock taken without waiting (``uow.visits.claim_idempotency_key``): while a first request
with the key has not committed (or rolled back), a second one is refused at once with
IDEMPOTENCY_KEY_IN_FLIGHT instead of queueing behind it on the member's row. Once the first has
answered, the same request replays its visit and other data is IDEMPOTENCY_KEY_REUSED.
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from frequenta_attendance import events
from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, membership, validation, visits
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.domain.rules import GymRules, not_in_future
from frequenta_attendance.models import Visit
from frequenta_attendance.repository import ConcurrentVisit
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_DEVICE_ID = 100
MAX_IDEMPOTENCY_KEY = 200


@dataclass(frozen=True)
class CheckInResult:
    visit: Visit
    # True when the idempotency key matched an earlier identical check-in: nothing was stored.
    replayed: bool


@dataclass(frozen=True)
class _NewVisit:
    member_id: int
    entered_at: datetime
    exited_at: datetime | None
    # False when the client left the entry to default to "now": a retry cannot repeat it.
    entry_given: bool
    source: CheckInSource
    device_id: str | None
    idempotency_key: str | None


async def record_check_in(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    member_id: int,
    entered_at: datetime | None,
    exited_at: datetime | None,
    source: CheckInSource | None,
    device_id: str,
    idempotency_key: str,
) -> CheckInResult:
    now = clock()
    new = _NewVisit(
        member_id=validation.entity_id("member_id", member_id),
        entered_at=entered_at or now,
        exited_at=exited_at,
        entry_given=entered_at is not None,
        source=source or CheckInSource.FRONT_DESK,
        device_id=validation.optional_text("device_id", device_id, max_length=MAX_DEVICE_ID),
        idempotency_key=validation.opaque_key(
            "idempotency_key", idempotency_key, max_length=MAX_IDEMPOTENCY_KEY
        ),
    )
    visits.check_new_visit_times(new.entered_at, new.exited_at, now=now, rules=rules)
    try:
        return await _check_in(uow, new, now=now, rules=rules)
    except ConcurrentVisit:
        pass
    # A concurrent request stored the same key (or entry) first: decide again, now seeing it,
    # which answers as a retry would (a replay, IDEMPOTENCY_KEY_REUSED or VISIT_OVERLAPS).
    try:
        return await _check_in(uow, new, now=now, rules=rules)
    except ConcurrentVisit as again:
        if again.same_key:
            raise errors.idempotency_key_reused() from None
        raise errors.visit_overlaps_unknown() from None


async def _check_in(
    uow: UnitOfWork, new: _NewVisit, *, now: datetime, rules: GymRules
) -> CheckInResult:
    async with uow:
        if new.idempotency_key is not None and not await uow.visits.claim_idempotency_key(
            new.idempotency_key
        ):
            raise errors.idempotency_key_in_flight()
        member = await uow.members.lock_for_check_in(new.member_id)
        if member is None:
            raise errors.member_not_found(new.member_id)
        # One query: the visit stored with the key (a retry is replayed before any other
        # check) and the member's visits the new one could collide with.
        window = visits.collision_window(new.entered_at, new.exited_at, now=now, rules=rules)
        earlier, nearby = await uow.visits.keyed_and_within(
            new.member_id, window, new.idempotency_key
        )
        if earlier is not None:
            return CheckInResult(_replay(earlier, new), replayed=True)
        membership.check_can_enter(member, new.entered_at)
        visits.check_no_collision(nearby, new.entered_at, new.exited_at, now=now, rules=rules)
        visit = Visit(
            id=member.visit_id,
            member_id=new.member_id,
            entered_at=new.entered_at,
            exited_at=new.exited_at,
            source=new.source,
            device_id=new.device_id,
            idempotency_key=new.idempotency_key,
        )
        # The visit and its event in one statement (its id was drawn with the member's lock).
        await uow.visits.add(visit, events.check_in_recorded(visit))
        await uow.commit()
    log.info("visit %s of member %s recorded (%s)", visit.id, visit.member_id, visit.source.name)
    return CheckInResult(visit, replayed=False)


def _replay(earlier: Visit, new: _NewVisit) -> Visit:
    """The stored visit if the retry carries the same member and entry instant (an entry left
    to default to "now" matches any), else IDEMPOTENCY_KEY_REUSED."""
    same_entry = not new.entry_given or earlier.entered_at == new.entered_at
    if earlier.member_id != new.member_id or not same_entry:
        raise errors.idempotency_key_reused()
    return earlier


async def record_check_out(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rules: GymRules,
    member_id: int,
    exited_at: datetime | None,
    device_id: str,
) -> Visit:
    """Close the member's open visit at ``exited_at`` (default now)."""
    validation.entity_id("member_id", member_id)
    validation.optional_text("device_id", device_id, max_length=MAX_DEVICE_ID)
    now = clock()
    exit_at = exited_at or now
    not_in_future("exited_at", exit_at, now=now, rules=rules)
    async with uow:
        member = await uow.members.get(member_id, for_update=True)
        if member is None:
            raise errors.member_not_found(member_id)
        open_since = visits.open_since(now, rules)
        candidate = await uow.visits.latest_open(member_id, open_since=open_since)
        visit = visits.check_check_out(candidate, member_id, exit_at, rules=rules)
        visit.exited_at = exit_at
        uow.outbox.add(events.check_out_recorded(visit))
        await uow.commit()
    log.info(
        "visit %s of member %s closed after %s min", visit.id, member_id, visit.duration_minutes
    )
    return visit
