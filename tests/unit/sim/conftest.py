"""Simulated gyms shared by the simulator's unit tests (generated once per session)."""

from dataclasses import replace

import pytest
from sim_support import UNTIL, small_params

from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.params import SimParams


@pytest.fixture(scope="session")
def small_gym() -> SimulatedGym:
    return simulate(small_params(), seed=7, until=UNTIL)


@pytest.fixture(scope="session")
def demo_gym() -> SimulatedGym:
    """Big enough for statistics: the demo's size over 18 months (two New Year surges)."""
    return simulate(replace(SimParams(), members=3000, months=18), seed=2024, until=UNTIL)
