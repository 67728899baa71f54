"""Visit rules (docs/rules.md, "Visits"): when a visit is open, which new visit collides with
the stored ones, and what a check-out may close.

A stored visit occupies, for collision purposes:
- finished (has an exit): [entry, exit);
- open (no exit, entered less than the maximum visit length ago): [entry, forever);
- forgotten check-out (no exit, older): only its entry instant, since its exit is unknown.
Two visits of one member collide when one's entry falls inside the other, or both entries are
the same instant.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from frequenta_attendance.domain import errors
from frequenta_attendance.domain.rules import GymRules, not_in_future


class TimedVisit(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def entered_at(self) -> datetime: ...
    @property
    def exited_at(self) -> datetime | None: ...


def duration_minutes(entered_at: datetime, exited_at: datetime | None) -> int | None:
    """Whole minutes, floor((exit - entry) / 60 s); None without an exit."""
    if exited_at is None:
        return None
    return int((exited_at - entered_at) // timedelta(minutes=1))


def is_open(
    entered_at: datetime, exited_at: datetime | None, *, now: datetime, max_visit: timedelta
) -> bool:
    return exited_at is None and entered_at > now - max_visit


def open_since(now: datetime, rules: GymRules) -> datetime:
    """Visits without an exit that entered after this instant are open."""
    return now - rules.max_visit


def check_new_visit_times(
    entered_at: datetime, exited_at: datetime | None, *, now: datetime, rules: GymRules
) -> None:
    """A new visit's own times: not in the future; an exit after the entry, within the maximum."""
    not_in_future("entered_at", entered_at, now=now, rules=rules)
    if exited_at is None:
        return
    not_in_future("exited_at", exited_at, now=now, rules=rules)
    if exited_at <= entered_at:
        raise errors.exit_before_entry(entered_at)
    if exited_at - entered_at > rules.max_visit:
        raise errors.visit_too_long(rules.max_visit / timedelta(hours=1))


@dataclass(frozen=True)
class Window:
    """The entry instants among which a visit colliding with a new one can be found."""

    since: datetime
    until: datetime | None  # None: no upper bound


def collision_window(
    entered_at: datetime, exited_at: datetime | None, *, now: datetime, rules: GymRules
) -> Window:
    # Stored visits last at most max_visit (+ skew when closed by a check-out at now + skew),
    # so one that began earlier than this cannot contain the new entry.
    since = entered_at - rules.max_visit - rules.clock_skew
    if exited_at is not None:
        return Window(since, exited_at)
    if is_open(entered_at, None, now=now, max_visit=rules.max_visit):
        return Window(since, None)
    return Window(since, entered_at)


def check_no_collision(
    stored: Iterable[TimedVisit],
    entered_at: datetime,
    exited_at: datetime | None,
    *,
    now: datetime,
    rules: GymRules,
) -> None:
    """Raise VISIT_ALREADY_OPEN or VISIT_OVERLAPS if the new visit collides with a stored one."""
    new_end = _occupied_until(entered_at, exited_at, now=now, rules=rules)
    for visit in stored:
        end = _occupied_until(visit.entered_at, visit.exited_at, now=now, rules=rules)
        new_inside_old = visit.entered_at <= entered_at and (end is None or entered_at < end)
        old_inside_new = entered_at <= visit.entered_at and (
            new_end is None or visit.entered_at < new_end
        )
        if not (visit.entered_at == entered_at or new_inside_old or old_inside_new):
            continue
        if end is None and (new_inside_old or new_end is None):
            raise errors.visit_already_open(visit.id, visit.entered_at)
        raise errors.visit_overlaps(visit.id, visit.entered_at, visit.exited_at)


V = TypeVar("V", bound=TimedVisit)


def check_check_out(
    open_visit: V | None, member_id: int, exited_at: datetime, *, rules: GymRules
) -> V:
    """The visit a check-out at ``exited_at`` (already checked not to be in the future) closes:
    the member's open visit, which must have begun before the exit; or the reason it cannot."""
    if open_visit is None:
        raise errors.no_open_visit(member_id)
    if exited_at <= open_visit.entered_at:
        raise errors.exit_before_entry(open_visit.entered_at)
    if exited_at - open_visit.entered_at > rules.max_visit:
        raise errors.visit_too_long(rules.max_visit / timedelta(hours=1))
    return open_visit


def _occupied_until(
    entered_at: datetime, exited_at: datetime | None, *, now: datetime, rules: GymRules
) -> datetime | None:
    """End of the span a visit occupies; None for an open visit (no end yet)."""
    if exited_at is not None:
        return exited_at
    if is_open(entered_at, None, now=now, max_visit=rules.max_visit):
        return None
    return entered_at  # forgotten check-out: occupies its entry instant only
