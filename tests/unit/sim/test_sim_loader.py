"""The loader against an in-memory gateway: what it writes, in which order, and that a second
run writes nothing new."""

from dataclasses import replace

import pytest
from fake_gateway import FakeGateway
from sim_support import UNTIL, small_params

from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.loader import GymLoader, LoadReport


@pytest.fixture(scope="module")
def gym() -> SimulatedGym:
    return simulate(small_params(members=40, months=3), seed=5, until=UNTIL)


def load(gateway: FakeGateway, gym: SimulatedGym, **options) -> LoadReport:
    with gateway.client() as client:
        return GymLoader(client, batch_size=500, workers=4, progress=False, **options).load(gym)


def test_writes_members_visits_and_cancellations(gym: SimulatedGym) -> None:
    gateway = FakeGateway()
    report = load(gateway, gym)
    cancelled = sum(member.cancelled_at is not None for member in gym.members)
    assert (report.registered, report.reused, report.skipped) == (len(gym.members), 0, [])
    assert report.visits_sent == report.accepted == gym.visit_count
    assert (report.duplicates, report.rejected) == (0, 0)
    assert (report.cancelled, report.already_cancelled) == (cancelled, 0)
    by_email = {m["email"]: m for m in gateway.members.values()}
    for index, member in enumerate(gym.members):
        stored = by_email[member.email]
        assert stored["data_matricula"].endswith("-03:00"), "sent with the gym's offset"
        expected = [(v.entered_at, v.exited_at) for v in gym.iter_visits(index)]
        assert gateway.visits_of(stored["id"]) == expected
        assert stored.get("motivo_cancelamento") == member.reason


def test_registers_then_imports_then_cancels(gym: SimulatedGym) -> None:
    gateway = FakeGateway()
    load(gateway, gym)
    last_register = max(i for i, step in enumerate(gateway.log) if step == "register")
    imports = [i for i, step in enumerate(gateway.log) if step == "import"]
    cancels = [i for i, step in enumerate(gateway.log) if step == "cancel"]
    assert len(imports) > 1, "several batches"
    assert last_register < min(imports) and max(imports) < min(cancels)


def test_a_second_run_changes_nothing(gym: SimulatedGym) -> None:
    gateway = FakeGateway()
    load(gateway, gym)
    members, visits = dict(gateway.members), dict(gateway.visits)
    again = load(gateway, gym)
    assert (again.registered, again.reused) == (0, len(gym.members))
    assert (again.accepted, again.duplicates) == (0, gym.visit_count)
    assert again.cancelled == 0
    assert again.already_cancelled == sum(m.cancelled_at is not None for m in gym.members)
    assert gateway.members == members and gateway.visits == visits


def test_an_email_held_by_another_run_is_skipped(gym: SimulatedGym) -> None:
    gateway = FakeGateway()
    other = replace(gym.members[0], enrolled_at=gym.members[0].enrolled_at.replace(year=2020))
    load(gateway, replace(gym, members=(other,) + gym.members[1:]))
    before = dict(gateway.visits)
    report = load(gateway, gym)
    assert report.skipped == [gym.members[0].email]
    assert report.reused == len(gym.members) - 1
    assert gateway.visits == before, "none of the skipped member's visits were sent"


def test_busy_answers_are_retried(gym: SimulatedGym) -> None:
    gateway = FakeGateway(busy_answers=3)
    report = load(gateway, gym)
    assert report.registered == len(gym.members)
