"""What the simulator produces: the members of a gym and their visits."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from frequenta_sim.params import SimParams
from frequenta_sim.visits import NO_EXIT, VisitArrays

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def instant(microseconds: int) -> datetime:
    """An aware UTC datetime from microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=int(microseconds))


@dataclass(frozen=True, slots=True)
class SimulatedMember:
    name: str
    email: str  # unique in the gym (and across seeds)
    phone: str
    birth_date: date
    plan_code: str
    archetype: str  # regular, fader, early_quitter, vacationer, irregular, january_joiner
    baseline_per_week: float  # the personal habit the member's frequency is judged against
    enrolled_at: datetime  # aware, UTC
    cancelled_at: datetime | None  # aware, UTC; no visit at or after it
    reason: str | None  # cancellation reason code (docs/rules.md), None while active


@dataclass(frozen=True, slots=True)
class SimulatedVisit:
    member: int  # index into SimulatedGym.members
    entered_at: datetime  # aware, UTC
    exited_at: datetime | None  # None: forgot to check out, or still inside at `until`


@dataclass(frozen=True, eq=False)
class SimulatedGym:
    """A gym's history from `start` (inclusive) to `until` (exclusive). Visits are kept as
    arrays (a demo gym has hundreds of thousands), sorted by member, then entry."""

    seed: int
    params: SimParams
    start: datetime
    until: datetime
    members: tuple[SimulatedMember, ...]
    visits: VisitArrays

    @property
    def visit_count(self) -> int:
        return len(self.visits.member)

    def visits_per_member(self) -> np.ndarray:
        """Number of visits of each member, by member index."""
        return np.bincount(self.visits.member, minlength=len(self.members))

    def visit_range(self, member: int) -> range:
        """Positions of one member's visits in the arrays."""
        first, end = np.searchsorted(self.visits.member, [member, member + 1])
        return range(int(first), int(end))

    def visit(self, position: int) -> SimulatedVisit:
        exited = int(self.visits.exited_us[position])
        return SimulatedVisit(
            member=int(self.visits.member[position]),
            entered_at=instant(self.visits.entered_us[position]),
            exited_at=None if exited == NO_EXIT else instant(exited),
        )

    def iter_visits(self, member: int | None = None) -> Iterator[SimulatedVisit]:
        """Every visit (or one member's) as aware datetimes, in order."""
        positions = range(self.visit_count) if member is None else self.visit_range(member)
        for position in positions:
            yield self.visit(position)

    def same_as(self, other: "SimulatedGym") -> bool:
        """Equal members and visits (what determinism means)."""
        return (
            self.members == other.members
            and self.start == other.start
            and self.until == other.until
            and all(
                np.array_equal(getattr(self.visits, name), getattr(other.visits, name))
                for name in ("member", "entered_us", "exited_us")
            )
        )
