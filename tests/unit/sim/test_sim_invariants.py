"""What every simulated gym respects, whatever the seed: the rules of docs/rules.md."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sim_support import UNTIL, member_visits, small_params, us

from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.params import PLANS, SimParams
from frequenta_sim.visits import NO_EXIT

MAX_VISIT_US = 6 * 3600 * 1_000_000
REASONS = {
    "preco",
    "mudanca",
    "falta_de_tempo",
    "saude",
    "insatisfacao",
    "concorrencia",
    "desmotivacao",
    "outro",
}


@pytest.fixture(scope="module", params=[7, 11, 12345])
def gym(request: pytest.FixtureRequest, small_gym: SimulatedGym) -> SimulatedGym:
    if request.param == 7:
        return small_gym
    return simulate(small_params(members=120, months=6), seed=request.param, until=UNTIL)


def test_instants_are_aware_utc_and_within_the_history(gym: SimulatedGym) -> None:
    for member in gym.members:
        assert member.enrolled_at.utcoffset() == timedelta(0)
        assert gym.start <= member.enrolled_at < gym.until
        if member.cancelled_at is not None:
            assert member.cancelled_at.utcoffset() == timedelta(0)
            assert member.enrolled_at < member.cancelled_at < gym.until
    entered, exited = gym.visits.entered_us, gym.visits.exited_us
    assert entered.min() >= us(gym.start)
    assert entered.max() < us(gym.until)
    assert exited[exited != NO_EXIT].max() < us(gym.until)


def test_visits_follow_enrollment_and_stop_before_cancellation(gym: SimulatedGym) -> None:
    for index, member in enumerate(gym.members):
        entries = member_visits(gym, index)
        if entries.size:
            assert entries.min() > us(member.enrolled_at)
            if member.cancelled_at is not None:
                positions = gym.visit_range(index)
                exits = gym.visits.exited_us[positions.start : positions.stop]
                assert entries.max() < us(member.cancelled_at)
                assert exits.max() < us(member.cancelled_at)


def test_a_members_visits_never_overlap(gym: SimulatedGym) -> None:
    visits = gym.visits
    assert np.all(np.diff(visits.member) >= 0), "sorted by member"
    same = visits.member[1:] == visits.member[:-1]
    exits = np.where(
        visits.exited_us == NO_EXIT, visits.entered_us + MAX_VISIT_US, visits.exited_us
    )
    # An exit-less visit counts as open for the maximum visit length (docs/rules.md).
    assert np.all(visits.entered_us[1:][same] > exits[:-1][same])


def test_durations_are_positive_and_under_the_maximum(gym: SimulatedGym) -> None:
    closed = gym.visits.exited_us != NO_EXIT
    durations = gym.visits.exited_us[closed] - gym.visits.entered_us[closed]
    assert durations.min() >= 12 * 60 * 1_000_000
    assert durations.max() < MAX_VISIT_US
    assert 0 < (~closed).sum() < 0.1 * closed.size, "a few forgotten check-outs"


def test_entries_fall_within_opening_hours(gym: SimulatedGym) -> None:
    zone = ZoneInfo("America/Sao_Paulo")
    opening = SimParams().visits.opening
    for visit in gym.iter_visits():
        local = visit.entered_at.astimezone(zone)
        first, last = opening[local.weekday()]
        assert first <= local.hour + local.minute / 60 + local.second / 3600 <= last


def test_members_are_complete_and_unique(gym: SimulatedGym) -> None:
    assert len(gym.members) == gym.params.members
    assert len({member.email.lower() for member in gym.members}) == len(gym.members)
    codes = {plan.code for plan in PLANS}
    for member in gym.members:
        assert member.plan_code in codes
        assert len(member.name.split()) >= 2
        assert member.phone.startswith("+55 ")
        assert (member.reason is None) == (member.cancelled_at is None)
        assert member.reason is None or member.reason in REASONS
        assert member.archetype in {a.name for a in gym.params.all_archetypes}
    enrolled = [member.enrolled_at for member in gym.members]
    assert enrolled == sorted(enrolled), "member 0 joined first"


def test_iterated_visits_match_the_arrays(gym: SimulatedGym) -> None:
    visits = list(gym.iter_visits())
    assert len(visits) == gym.visit_count
    assert sum(1 for visit in visits if visit.exited_at is None) == int(
        np.sum(gym.visits.exited_us == NO_EXIT)
    )
    counts = gym.visits_per_member()
    assert sum(len(list(gym.iter_visits(i))) for i in range(len(gym.members))) == counts.sum()
