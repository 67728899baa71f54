"""The data ``bench/http_load.py`` reads and writes, put in through the public API: a simulated
gym with its history (realistic reads), a churn model trained on it (risco-churn answers), the
members whose risk the read scenarios ask, and fresh members for the check-in scenario."""

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
from churn_serving import wait

from frequenta_sim.api import plan_ids
from frequenta_sim.generator import simulate
from frequenta_sim.loader import GymLoader
from frequenta_sim.params import SimParams

T = TypeVar("T")


def seed_gym(api: httpx.Client, members: int, months: int, seed: int) -> int:
    """The simulated gym written over REST; the number of its visits."""
    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    gym = simulate(replace(SimParams(), members=members, months=months), seed=seed, until=until)
    loader = GymLoader(api, batch_size=20_000, workers=4, job_timeout=600, progress=False)
    report = loader.load(gym)
    if report.accepted != gym.visit_count:
        raise RuntimeError("seeding the gym:\n" + "\n".join(report.lines()))
    return gym.visit_count


def train_model(api: httpx.Client) -> str:
    """A model trained by the retrain worker and served; its version."""
    queued = api.post("/modelo/retreino", json={"promover_se_melhor": True})
    if queued.status_code != 202:
        raise RuntimeError(f"POST /modelo/retreino: HTTP {queued.status_code} {queued.text}")
    location = queued.headers["location"]
    job = wait(
        lambda: (j := api.get(location).json())["estado"] in {"concluido", "falhou"} and j,
        900,
        "the retraining job",
        every=0.5,
    )
    if job["estado"] != "concluido":
        raise RuntimeError(f"retraining failed: {job}")
    return job["versao_modelo"]


def active_members(api: httpx.Client, limit: int) -> list[int]:
    found: list[int] = []
    page = 1
    while len(found) < limit:
        params = {"status": "ativos", "pagina": page, "tamanho": 200}
        body = api.get("/alunos", params=params).raise_for_status().json()
        found += [member["id"] for member in body["itens"]]
        if page * 200 >= body["total"]:
            break
        page += 1
    return found[:limit]


def read_pool(api: httpx.Client, size: int) -> list[int]:
    """Up to ``size`` active members of the gym with visits in the default window of frequencia,
    whose attendance and risk both answer 200 (churn's projection knows them and a model
    serves): the members the read scenarios ask for, in turn."""
    candidates = active_members(api, size * 3)
    if not candidates:
        raise RuntimeError("the seeded gym has no active member")

    def visits(member_id: int) -> int | None:
        """Visits listed by frequencia; None while risco-churn is not answered yet."""
        risk = api.get(f"/aluno/{member_id}/risco-churn")
        if risk.status_code in (404, 503):  # projection behind, or model not loaded yet
            return None
        risk.raise_for_status()
        attendance = api.get(f"/aluno/{member_id}/frequencia").raise_for_status().json()
        return len(attendance["checkins"])

    wait(lambda: visits(candidates[-1]) is not None, 300, "risco-churn of the gym's members", 1)
    counted = [(member_id, visits(member_id)) for member_id in candidates]
    busy = [member_id for member_id, n in counted if n]
    return (busy or [member_id for member_id, n in counted if n is not None])[:size]


def register_members(api: httpx.Client, count: int, enrolled_days_ago: int) -> list[int]:
    """``count`` new members enrolled ``enrolled_days_ago`` days ago, with no visits yet."""
    plan_id = next(iter(plan_ids(api).values()))
    enrolled = (datetime.now(UTC) - timedelta(days=enrolled_days_ago)).isoformat()
    run = uuid.uuid4().hex[:8]

    def one(index: int) -> int:
        body: dict[str, Any] = {
            "nome": f"Aluno Carga {index}",
            "email": f"carga.{run}.{index}@example.com",
            "plano_id": plan_id,
            "data_matricula": enrolled,
        }
        response = api.post("/aluno/registro", json=body)
        if response.status_code != 201:
            raise RuntimeError(f"registering: HTTP {response.status_code} {response.text}")
        return response.json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(count)))


def step(what: str, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` between two progress lines, the second with its duration."""
    started = time.perf_counter()
    print(f"{what}...", flush=True)
    result = work(*args)
    print(f"{what}: {time.perf_counter() - started:.1f} s", flush=True)
    return result
