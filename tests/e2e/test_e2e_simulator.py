"""The gym simulator through the real stack: a tiny simulated gym written over REST (bulk
import and its ingestion workers included), read back member by member; a second seeding of
the same gym writes nothing."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from frequenta_sim.generator import simulate
from frequenta_sim.gym import SimulatedGym
from frequenta_sim.loader import GymLoader
from frequenta_sim.params import SimParams

ZONE = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(scope="module")
def gym() -> SimulatedGym:
    """20 members over 2 months, with a seed of this run's own (e-mails carry the seed)."""
    seed = uuid.uuid4().int % 1_000_000_000
    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return simulate(replace(SimParams(), members=20, months=2), seed=seed, until=until)


@pytest.fixture(scope="module")
def first_load(api: httpx.Client, gym: SimulatedGym):
    return GymLoader(api, batch_size=200, workers=4, job_timeout=120, progress=False).load(gym)


def instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def member_id(api: httpx.Client, email: str) -> dict:
    response = api.get("/alunos", params={"q": email, "status": "todos"})
    assert response.status_code == 200, response.text
    (member,) = [m for m in response.json()["itens"] if m["email"] == email]
    return member


def stored_entries(api: httpx.Client, member: int, gym: SimulatedGym) -> tuple[int, list]:
    """total_checkins and every visit of the history range, all pages."""
    params = {
        "data_inicio": gym.start.astimezone(ZONE).date().isoformat(),
        "data_fim": gym.until.astimezone(ZONE).date().isoformat(),
        "tamanho": 200,
    }
    visits, page, total = [], 1, None
    while True:
        response = api.get(f"/aluno/{member}/frequencia", params={**params, "pagina": page})
        assert response.status_code == 200, response.text
        body = response.json()
        total = body["total_checkins"]
        visits += [(instant(v["data_entrada"]), instant(v["data_saida"])) for v in body["checkins"]]
        if len(visits) >= body["paginacao"]["total"]:
            return total, sorted(visits)
        page += 1


def test_the_seeded_gym_reads_back_as_simulated(api: httpx.Client, gym: SimulatedGym, first_load):
    cancelled = [m for m in gym.members if m.cancelled_at is not None]
    assert first_load.registered == len(gym.members)
    assert first_load.accepted == gym.visit_count > 0, first_load.lines()
    assert (first_load.duplicates, first_load.rejected) == (0, 0), first_load.lines()
    assert first_load.cancelled == len(cancelled)

    counts = gym.visits_per_member()
    for index, simulated in enumerate(gym.members):
        member = member_id(api, simulated.email)
        assert datetime.fromisoformat(member["data_matricula"]) == simulated.enrolled_at
        assert member["plano"]["codigo"] == simulated.plan_code
        assert member["ativo"] == (simulated.cancelled_at is None)
        if simulated.cancelled_at is not None:
            assert datetime.fromisoformat(member["data_cancelamento"]) == simulated.cancelled_at
            assert member["motivo_cancelamento"] == simulated.reason
        total, visits = stored_entries(api, member["id"], gym)
        assert total == counts[index], simulated.email
        assert visits == [(v.entered_at, v.exited_at) for v in gym.iter_visits(index)]


def test_seeding_again_creates_nothing(api: httpx.Client, gym: SimulatedGym, first_load):
    emails = [m.email for m in gym.members]
    before = [stored_entries(api, member_id(api, e)["id"], gym)[0] for e in emails]
    again = GymLoader(api, batch_size=200, workers=4, job_timeout=120, progress=False).load(gym)
    assert (again.registered, again.reused, again.skipped) == (0, len(gym.members), [])
    assert (again.accepted, again.duplicates, again.rejected) == (0, gym.visit_count, 0)
    assert again.cancelled == 0
    assert again.already_cancelled == first_load.cancelled
    assert [stored_entries(api, member_id(api, e)["id"], gym)[0] for e in emails] == before
