"""What the model reads: members and visits exactly as attendance's ExportMembers and ExportVisits
streams carry them, and a columnar container built from them once, for vectorised features.

The container keeps every visit in one flat array sorted by (member, entry). A member's visits
before an instant are then found for many (member, instant) pairs at once with one
``searchsorted`` over composite keys ``member_index * span + (entry - origin)``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from frequenta_churn.ml.localtime import local_day_numbers, to_ms

PLAN_CODES = ("mensal", "trimestral", "semestral", "anual")
OTHER_PLAN = len(PLAN_CODES)  # the index of every other plan code
NEVER = np.iinfo(np.int64).max  # "no cancellation" and "no exit" sort after every instant
MAX_VISIT_MINUTES = 240  # a visit's duration counts for at most four hours


@dataclass(frozen=True)
class MemberRecord:
    """One ExportedMember."""

    member_id: int
    plan_code: str
    plan_duration_months: int
    enrolled_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True)
class VisitRecord:
    """One exported Visit: entry and, once known, exit."""

    member_id: int
    entered_at: datetime
    exited_at: datetime | None


def plan_index(code: str) -> int:
    """Position of a plan code in PLAN_CODES; OTHER_PLAN for any other code."""
    normalised = code.strip().lower()
    return PLAN_CODES.index(normalised) if normalised in PLAN_CODES else OTHER_PLAN


@dataclass(frozen=True, eq=False)
class GymColumns:
    """Members (arrays of length M, sorted by member id) and their visits (arrays of length V,
    sorted by member then entry; ``offsets[i]:offsets[i + 1]`` are member i's visits). Instants
    are int64 milliseconds since the Unix epoch; days are the gym's local day numbers."""

    tz: ZoneInfo
    member_ids: np.ndarray
    plan_codes: np.ndarray  # str, as exported
    plans: np.ndarray  # index into PLAN_CODES, OTHER_PLAN otherwise
    plan_months: np.ndarray
    enrolled_ms: np.ndarray
    enrolled_day: np.ndarray
    cancelled_ms: np.ndarray  # NEVER while active
    offsets: np.ndarray
    visit_member: np.ndarray  # member index of each visit
    entry_ms: np.ndarray
    entry_day: np.ndarray
    exit_ms: np.ndarray  # NEVER when the exit is unknown
    cum_minutes: np.ndarray  # prefix sums (length V + 1) of capped durations of visits with exit
    cum_exits: np.ndarray  # prefix sums (length V + 1) of visits with an exit
    origin_ms: int
    span_ms: int
    keys: np.ndarray  # composite, sorted: visit_member * span_ms + (entry_ms - origin_ms)
    dropped_visits: int  # visits of members absent from the member list

    @property
    def n_members(self) -> int:
        return int(self.member_ids.size)

    @property
    def n_visits(self) -> int:
        return int(self.entry_ms.size)

    def index_of(self, member_ids: Iterable[int] | np.ndarray) -> np.ndarray:
        """Member indexes of the given ids; KeyError if one is unknown."""
        wanted = np.asarray(
            list(member_ids) if not isinstance(member_ids, np.ndarray) else member_ids,
            dtype=np.int64,
        )
        found = np.searchsorted(self.member_ids, wanted)
        found = np.minimum(found, max(self.n_members - 1, 0))
        if self.n_members == 0 or not np.array_equal(self.member_ids[found], wanted):
            raise KeyError("unknown member id(s)")
        return found

    def keys_at(self, member_index: np.ndarray, instant_ms: np.ndarray | int) -> np.ndarray:
        """Composite keys of (member, instant) pairs, clipped into the member's key range."""
        relative = np.clip(
            np.asarray(instant_ms, dtype=np.int64) - self.origin_ms, 0, self.span_ms - 1
        )
        return np.asarray(member_index, dtype=np.int64) * self.span_ms + relative

    def visits_before(self, member_index: np.ndarray, instant_ms: np.ndarray | int) -> np.ndarray:
        """Global position of the first visit of each member entered at or after the instant, so
        ``offsets[m]:position`` are the member's visits strictly before it."""
        return np.searchsorted(self.keys, self.keys_at(member_index, instant_ms), side="left")

    @classmethod
    def from_records(
        cls, members: Iterable[MemberRecord], visits: Iterable[VisitRecord], tz: ZoneInfo
    ) -> "GymColumns":
        members = list(members)
        visits = list(visits)
        return cls.from_arrays(
            tz=tz,
            member_ids=np.fromiter((m.member_id for m in members), np.int64, len(members)),
            plan_codes=np.array([m.plan_code for m in members], dtype=str),
            plan_months=np.fromiter(
                (m.plan_duration_months for m in members), np.int64, len(members)
            ),
            enrolled_ms=np.fromiter(
                (to_ms(m.enrolled_at) for m in members), np.int64, len(members)
            ),
            cancelled_ms=np.fromiter(
                (NEVER if m.cancelled_at is None else to_ms(m.cancelled_at) for m in members),
                np.int64,
                len(members),
            ),
            visit_member_ids=np.fromiter((v.member_id for v in visits), np.int64, len(visits)),
            entry_ms=np.fromiter((to_ms(v.entered_at) for v in visits), np.int64, len(visits)),
            exit_ms=np.fromiter(
                (NEVER if v.exited_at is None else to_ms(v.exited_at) for v in visits),
                np.int64,
                len(visits),
            ),
        )

    @classmethod
    def from_arrays(
        cls,
        *,
        tz: ZoneInfo,
        member_ids: np.ndarray,
        plan_codes: np.ndarray,
        plan_months: np.ndarray,
        enrolled_ms: np.ndarray,
        cancelled_ms: np.ndarray,
        visit_member_ids: np.ndarray,
        entry_ms: np.ndarray,
        exit_ms: np.ndarray,
    ) -> "GymColumns":
        """Build from plain arrays (``NEVER`` for no cancellation or no exit)."""
        member_ids = np.asarray(member_ids, dtype=np.int64)
        order = np.argsort(member_ids, kind="stable")
        member_ids = member_ids[order]
        if member_ids.size and np.any(np.diff(member_ids) == 0):
            raise ValueError("duplicate member ids")
        plan_codes = np.asarray(plan_codes, dtype=str)[order]
        enrolled_ms = np.asarray(enrolled_ms, dtype=np.int64)[order]
        n_members = member_ids.size

        visit_member_ids = np.asarray(visit_member_ids, dtype=np.int64)
        position = np.searchsorted(member_ids, visit_member_ids)
        known = position < n_members
        known[known] = member_ids[position[known]] == visit_member_ids[known]
        visit_member = position[known]
        entry_ms = np.asarray(entry_ms, dtype=np.int64)[known]
        exit_ms = np.asarray(exit_ms, dtype=np.int64)[known]
        sort = np.lexsort((entry_ms, visit_member))
        visit_member, entry_ms, exit_ms = visit_member[sort], entry_ms[sort], exit_ms[sort]

        has_exit = exit_ms != NEVER
        minutes = np.zeros(entry_ms.size, dtype=np.float64)
        minutes[has_exit] = np.clip(
            (exit_ms[has_exit] - entry_ms[has_exit]) // 60_000, 0, MAX_VISIT_MINUTES
        )
        everything = np.concatenate([enrolled_ms, entry_ms])
        origin = int(everything.min()) if everything.size else 0
        span = (int(everything.max()) - origin + 2) if everything.size else 2
        if n_members * span >= 2**62:
            raise ValueError("history too long for millisecond composite keys")
        days = local_day_numbers(everything, tz)
        return cls(
            tz=tz,
            member_ids=member_ids,
            plan_codes=plan_codes,
            plans=np.fromiter((plan_index(c) for c in plan_codes), np.int64, n_members),
            plan_months=np.maximum(np.asarray(plan_months, dtype=np.int64)[order], 1),
            enrolled_ms=enrolled_ms,
            enrolled_day=days[:n_members],
            cancelled_ms=np.asarray(cancelled_ms, dtype=np.int64)[order],
            offsets=np.searchsorted(visit_member, np.arange(n_members + 1)),
            visit_member=visit_member,
            entry_ms=entry_ms,
            entry_day=days[n_members:],
            exit_ms=exit_ms,
            cum_minutes=np.concatenate([[0.0], np.cumsum(minutes)]),
            cum_exits=np.concatenate([[0], np.cumsum(has_exit)]),
            origin_ms=origin,
            span_ms=span,
            keys=visit_member * span + (entry_ms - origin),
            dropped_visits=int((~known).sum()),
        )
