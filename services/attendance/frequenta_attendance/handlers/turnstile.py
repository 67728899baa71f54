"""Turnstile passages (StreamCheckIns): each one is a single check-in (entry) or check-out (exit)
through ``handlers.visits``, in its own transaction, with its own outcome. Nothing is held
across passages, so a long stream (history buffered offline) locks nothing for long.

History needs one addition. An entry older than the maximum visit length is a forgotten
check-out the moment it is stored, and no later check-out may close it (docs/rules.md), so
a buffered entry and its buffered exit could never make one visit. Such an entry therefore
waits, in memory, for the member's next passage in the stream: an exit within the maximum
visit length after it is stored with it, as one check-in with its exit (the import case of
RecordCheckIn); anything else stores the entry alone first. Entries still open now are
stored at once, and so is whatever waits when the stream ends. If the pair is refused as a
whole, each passage is decided on its own, as if sent apart. Another entry of the member
while one waits is decided as a check-in at its own instant would be: the same entry again
is a duplicate, a later one within the maximum visit length is VISIT_ALREADY_OPEN.

Duplicates, on top of what RecordCheckIn already replays (same key, same data):
- an entry without a key whose member and instant are already stored, as in bulk imports;
- an exit refused (NO_OPEN_VISIT, EXIT_BEFORE_ENTRY) because that visit was already closed
  at that very instant: the device re-sent it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors, visits
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.handlers import visits as visit_handlers
from frequenta_attendance.uow import UnitOfWork
from frequenta_kit.errors import Conflict, DomainError, InvalidInput

_ENTRY_TAKEN = {"VISIT_ALREADY_OPEN", "VISIT_OVERLAPS"}
_EXIT_REFUSED = {"NO_OPEN_VISIT", "EXIT_BEFORE_ENTRY"}


class PassageKind(Enum):
    ENTRY = "entry"
    EXIT = "exit"


@dataclass(frozen=True)
class Passage:
    kind: PassageKind | None
    member_id: int
    occurred_at: datetime | None
    device_id: str
    idempotency_key: str


@dataclass(frozen=True)
class PassageOutcome:
    accepted: bool
    duplicate: bool = False
    reason: str = ""
    message: str = ""


ACCEPTED = PassageOutcome(accepted=True)
DUPLICATE = PassageOutcome(accepted=False, duplicate=True)


def refused(error: DomainError) -> PassageOutcome:
    return PassageOutcome(accepted=False, reason=error.code, message=error.message)


@dataclass
class TurnstileStream:
    """The passages of one stream, decided in order; ``finish`` returns every outcome."""

    uow: Callable[[], UnitOfWork]
    clock: Clock
    rules: GymRules
    _outcomes: dict[int, PassageOutcome] = field(default_factory=dict)
    # member -> (index, entry) of a buffered entry waiting for its exit
    _waiting: dict[int, tuple[int, Passage]] = field(default_factory=dict)

    def refuse(self, index: int, error: DomainError) -> None:
        self._outcomes[index] = refused(error)

    async def add(self, index: int, passage: Passage) -> None:
        waiting = self._waiting.get(passage.member_id)
        if waiting is not None:
            if _inside(waiting[1], passage, self.rules):
                # The waiting visit was open then: as a check-in at that instant would be.
                self._outcomes[index] = _entry_while_waiting(waiting, passage)
                return
            del self._waiting[passage.member_id]
            if _closes(waiting[1], passage, self.rules):
                await self._pair(waiting, (index, passage))
                return
            await self._decide(*waiting)
        at = passage.occurred_at
        if passage.kind is PassageKind.ENTRY and at is not None and self._before_open(at):
            self._waiting[passage.member_id] = (index, passage)
            return
        await self._decide(index, passage)

    async def finish(self) -> list[PassageOutcome]:
        for index, passage in sorted(self._waiting.values(), key=lambda waiting: waiting[0]):
            await self._decide(index, passage)
        self._waiting.clear()
        return [self._outcomes[index] for index in sorted(self._outcomes)]

    def _before_open(self, entered_at: datetime) -> bool:
        """Stored alone, this entry would be a forgotten check-out already."""
        return entered_at <= visits.open_since(self.clock(), self.rules)

    async def _decide(self, index: int, passage: Passage) -> None:
        try:
            self._outcomes[index] = await record_passage(
                uow=self.uow(), clock=self.clock, rules=self.rules, passage=passage
            )
        except DomainError as error:
            self._outcomes[index] = refused(error)

    async def _pair(self, entry: tuple[int, Passage], exit_: tuple[int, Passage]) -> None:
        (entry_index, entered), (exit_index, left) = entry, exit_
        assert entered.occurred_at is not None and left.occurred_at is not None
        try:
            result = await visit_handlers.record_check_in(
                uow=self.uow(),
                clock=self.clock,
                rules=self.rules,
                member_id=entered.member_id,
                entered_at=entered.occurred_at,
                exited_at=left.occurred_at,
                source=CheckInSource.TURNSTILE,
                device_id=entered.device_id,
                idempotency_key=entered.idempotency_key,
            )
        except DomainError:
            await self._decide(entry_index, entered)
            await self._decide(exit_index, left)
            return
        if not result.replayed:
            self._outcomes[entry_index] = self._outcomes[exit_index] = ACCEPTED
            return
        self._outcomes[entry_index] = DUPLICATE
        if result.visit.exited_at == left.occurred_at:
            self._outcomes[exit_index] = DUPLICATE
        else:
            await self._decide(exit_index, left)


def _inside(entry: Passage, passage: Passage, rules: GymRules) -> bool:
    """Whether ``passage`` is an entry while the visit ``entry`` began was still open."""
    if passage.kind is not PassageKind.ENTRY or passage.occurred_at is None:
        return False
    assert entry.occurred_at is not None
    return entry.occurred_at <= passage.occurred_at < entry.occurred_at + rules.max_visit


def _entry_while_waiting(waiting: tuple[int, Passage], passage: Passage) -> PassageOutcome:
    index, entry = waiting
    assert entry.occurred_at is not None
    same_key = passage.idempotency_key in ("", entry.idempotency_key)
    if passage.occurred_at == entry.occurred_at and same_key:
        return DUPLICATE
    return refused(errors.open_in_stream(index, entry.occurred_at))


def _closes(entry: Passage, passage: Passage, rules: GymRules) -> bool:
    """Whether ``passage`` is the exit of the visit ``entry`` began."""
    if passage.kind is not PassageKind.EXIT or passage.occurred_at is None:
        return False
    assert entry.occurred_at is not None
    return entry.occurred_at < passage.occurred_at <= entry.occurred_at + rules.max_visit


async def record_passage(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, passage: Passage
) -> PassageOutcome:
    """The outcome of one passage on its own; raises the DomainError that refuses it."""
    if passage.kind is None:
        raise errors.invalid("kind", "kind must be ENTRY or EXIT")
    if passage.occurred_at is None:
        raise errors.invalid("occurred_at", "occurred_at is required")
    if passage.kind is PassageKind.ENTRY:
        return await _entry(uow, clock, rules, passage, passage.occurred_at)
    return await _exit(uow, clock, rules, passage, passage.occurred_at)


async def _entry(
    uow: UnitOfWork, clock: Clock, rules: GymRules, passage: Passage, at: datetime
) -> PassageOutcome:
    try:
        result = await visit_handlers.record_check_in(
            uow=uow,
            clock=clock,
            rules=rules,
            member_id=passage.member_id,
            entered_at=at,
            exited_at=None,
            source=CheckInSource.TURNSTILE,
            device_id=passage.device_id,
            idempotency_key=passage.idempotency_key,
        )
    except Conflict as error:
        if error.code in _ENTRY_TAKEN and not passage.idempotency_key:
            async with uow:
                same = await uow.visits.entered_within(passage.member_id, visits.Window(at, at))
            if same:
                return DUPLICATE
        raise
    return DUPLICATE if result.replayed else ACCEPTED


async def _exit(
    uow: UnitOfWork, clock: Clock, rules: GymRules, passage: Passage, at: datetime
) -> PassageOutcome:
    try:
        await visit_handlers.record_check_out(
            uow=uow,
            clock=clock,
            rules=rules,
            member_id=passage.member_id,
            exited_at=at,
            device_id=passage.device_id,
        )
    except (Conflict, InvalidInput) as error:
        if error.code in _EXIT_REFUSED and await _closed_at(uow, passage.member_id, at, rules):
            return DUPLICATE
        raise
    return ACCEPTED


async def _closed_at(uow: UnitOfWork, member_id: int, at: datetime, rules: GymRules) -> bool:
    """Whether a visit of the member already ended at ``at``."""
    since = at - rules.max_visit - rules.clock_skew - timedelta(microseconds=1)
    async with uow:
        nearby = await uow.visits.entered_within(member_id, visits.Window(since, at))
    return any(visit.exited_at == at for visit in nearby)
