"""Helpers shared by the simulator's unit tests."""

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from frequenta_sim.gym import SimulatedGym
from frequenta_sim.params import SimParams
from frequenta_sim.timeline import to_us

# A fixed end of history, so that every run sees the same calendar.
UNTIL = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
US_PER_DAY = 86_400 * 1_000_000


def small_params(members: int = 150, months: int = 4) -> SimParams:
    return replace(SimParams(), members=members, months=months)


def us(moment: datetime) -> int:
    return to_us(moment)


def member_visits(gym: SimulatedGym, member: int) -> np.ndarray:
    """Entry instants (UTC microseconds) of one member, in order."""
    positions = gym.visit_range(member)
    return gym.visits.entered_us[positions.start : positions.stop]
