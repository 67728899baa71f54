"""The gym's settings that business rules depend on, as one value handed to every use case."""

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class GymRules:
    # Decides what a local "day" and "week" are.
    tz: ZoneInfo
    # Instants later than now + clock_skew are refused.
    clock_skew: timedelta
    # Longest visit; an exit-less visit older than this is a forgotten check-out.
    max_visit: timedelta
