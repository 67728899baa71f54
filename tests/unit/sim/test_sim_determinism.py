"""The same seed (and end of history) gives the same gym; another seed another gym."""

from datetime import UTC, datetime, timedelta

import pytest
from sim_support import UNTIL, small_params

from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym


def test_same_seed_same_gym(small_gym: SimulatedGym) -> None:
    again = simulate(small_params(), seed=7, until=UNTIL)
    assert again.same_as(small_gym)
    assert again.visit_count == small_gym.visit_count > 0


def test_different_seed_different_gym(small_gym: SimulatedGym) -> None:
    other = simulate(small_params(), seed=8, until=UNTIL)
    assert not other.same_as(small_gym)
    assert [m.email for m in other.members] != [m.email for m in small_gym.members]
    assert {m.email for m in other.members}.isdisjoint(m.email for m in small_gym.members)


def test_the_end_of_history_is_part_of_the_identity(small_gym: SimulatedGym) -> None:
    later = simulate(small_params(), seed=7, until=UNTIL + timedelta(days=1))
    assert not later.same_as(small_gym)


def test_default_end_is_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    gym = simulate(small_params(members=5, months=1), seed=1)
    assert before <= gym.until <= datetime.now(UTC)


def test_refuses_a_naive_end_and_a_negative_seed() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        simulate(small_params(), seed=1, until=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="seed"):
        simulate(small_params(), seed=-1, until=UNTIL)
