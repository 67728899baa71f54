"""The gym's settings that business rules depend on, as one value handed to every use case,
and the rule every instant a client sends obeys."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from frequenta_attendance.domain import errors
from frequenta_attendance.domain.validation import plausible_instant


@dataclass(frozen=True)
class GymRules:
    # Decides what a local "day" and "week" are.
    tz: ZoneInfo
    # Instants later than now + clock_skew are refused.
    clock_skew: timedelta
    # Longest visit; an exit-less visit older than this is a forgotten check-out.
    max_visit: timedelta


def not_in_future(field: str, instant: datetime, *, now: datetime, rules: GymRules) -> datetime:
    """Instants may lie in the past (imports), never beyond now + the allowed clock skew."""
    plausible_instant(field, instant)
    latest = now + rules.clock_skew
    if instant > latest:
        raise errors.in_future(field, instant, latest)
    return instant
