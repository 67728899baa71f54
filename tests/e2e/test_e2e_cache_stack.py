"""The gateway's cache in a stack of its own, with a trained model and a Redis server of its own:
no stale risk after a check-in through REST, gRPC straight to attendance (a turnstile) or a bulk
import, even when the answer was cached before churn's projection caught up; a cancellation is
in the next risk read and soon out of the cached at-risk list, a promoted model in the next
risk and list reads; and with Redis stopped every cached route still answers 200, uncached
(the last test of the module)."""

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from e2e_redis import OwnRedis, own_redis
from e2e_stack import launch_stack
from e2e_support import iso, now, parse

from frequenta.attendance.v1 import attendance_pb2, attendance_pb2_grpc
from frequenta_sim.generator import simulate
from frequenta_sim.loader import GymLoader
from frequenta_sim.params import SimParams

pytestmark = pytest.mark.e2e


def poll(probe: Callable[[], Any], within: float, what: str, every: float = 0.3) -> Any:
    deadline = time.monotonic() + within
    while True:
        if result := probe():
            return result
        assert time.monotonic() < deadline, f"{what}: not within {within:.0f}s"
        time.sleep(every)


@dataclass(frozen=True)
class Cached:
    api: httpx.Client
    redis: OwnRedis
    attendance_address: str
    internal_token: str  # what turnstiles send to attendance
    members: list[dict[str, Any]]  # active, longest enrolled first

    def take(self) -> dict[str, Any]:
        """An active member no other test of the module used, without an open visit (the
        simulated gym leaves some members in the gym: a new entry would overlap)."""
        while True:
            member = self.members.pop(0)
            latest = self.api.get(f"/aluno/{member['id']}/frequencia", params={"tamanho": 1})
            visits = latest.json()["checkins"]
            if not visits or visits[0]["data_saida"] is not None:
                return member


@pytest.fixture(scope="module")
def cached(request, tmp_path_factory, rabbitmq_url) -> Iterator[Cached]:
    with (
        own_redis(tmp_path_factory.mktemp("redis")) as redis,
        launch_stack(
            request,
            tmp_path_factory.mktemp("cache"),
            rabbitmq_url,
            redis_url=redis.url,
            model_poll_seconds="0.5",
            risk_snapshot_seconds="2",
        ) as stack,
        # As conftest.py's `api` builds its client.
        httpx.Client(base_url=stack.base_url, timeout=30) as api,
    ):
        until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
        seed = uuid.uuid4().int % 1_000_000_000
        gym = simulate(replace(SimParams(), members=150, months=8), seed=seed, until=until)
        loaded = GymLoader(api, batch_size=5000, workers=4, job_timeout=120, progress=False).load(
            gym
        )
        assert loaded.accepted == gym.visit_count, loaded.lines()
        queued = api.post("/modelo/retreino", json={"promover_se_melhor": True})
        assert queued.status_code == 202, queued.text
        location = queued.headers["location"]
        job = poll(
            lambda: (j := api.get(location).json())["estado"] in {"concluido", "falhou"} and j,
            120,
            "the retraining job",
        )
        assert job["estado"] == "concluido", job
        active = api.get("/alunos", params={"status": "ativos", "tamanho": 200}).json()["itens"]
        active.sort(key=lambda m: m["data_matricula"])
        yield Cached(api, redis, stack.attendance_address, stack.internal_token, active)


def read_twice(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    """The answer, read until it comes from the cache (the second read, unless a version moved
    in between, e.g. churn's projection or the list's snapshot)."""

    def hit() -> httpx.Response | None:
        response = api.get(path, params=params)
        assert response.status_code == 200, response.text
        return response if response.headers["x-cache"] == "hit" else None

    return poll(hit, 30, f"{path} from the cache").json()


def risk_shows(api: httpx.Client, member_id: int, entered: datetime) -> dict[str, Any]:
    """Poll the risk until its last visit is ``entered``: churn's projection applies attendance's
    events within seconds; an answer cached before it did must not outlive that."""

    def shows() -> dict[str, Any] | None:
        body = api.get(f"/aluno/{member_id}/risco-churn").json()
        last = body.get("ultimo_checkin")
        # Churn keeps instants to the millisecond.
        return body if last and abs(parse(last) - entered) < timedelta(milliseconds=1) else None

    return poll(shows, 30, f"member {member_id}'s risk with the visit of {entered}")


def risk_then_change(cached: Cached, change: Callable[[int], datetime]) -> None:
    """Risk and attendance cached; ``change(member_id)`` adds a visit and returns its entry; the
    next attendance read has it at once, risk reads in the projection's lag (stored then) do
    not hide it for long."""
    api, member = cached.api, cached.take()
    path = f"/aluno/{member['id']}"
    before = read_twice(api, f"{path}/risco-churn")
    total = read_twice(api, f"{path}/frequencia")["total_checkins"]
    entered = change(member["id"])
    assert api.get(f"{path}/frequencia").json()["total_checkins"] == total + 1
    api.get(f"{path}/risco-churn")  # likely before the projection has it: cached, then dropped
    after = risk_shows(api, member["id"], entered)
    assert after["ultimo_checkin"] != before["ultimo_checkin"]


def test_risk_after_a_rest_check_in(cached):
    def check_in(member_id: int) -> datetime:
        response = cached.api.post("/aluno/checkin", json={"aluno_id": member_id})
        assert response.status_code == 201, response.text
        return parse(response.json()["data_entrada"])

    risk_then_change(cached, check_in)


def test_risk_after_a_grpc_check_in_straight_to_attendance(cached):
    def turnstile(member_id: int) -> datetime:
        entered = now() - timedelta(seconds=30)
        request = attendance_pb2.RecordCheckInRequest(
            member_id=member_id,
            device_id="catraca-e2e",
            source=attendance_pb2.CHECK_IN_SOURCE_TURNSTILE,
            idempotency_key=f"catraca-e2e-{uuid.uuid4().hex}",
        )
        request.entered_at.FromDatetime(entered)
        with grpc.insecure_channel(cached.attendance_address) as channel:
            stub = attendance_pb2_grpc.AttendanceServiceStub(channel)
            credentials = [("authorization", f"Bearer {cached.internal_token}")]
            stub.RecordCheckIn(request, timeout=10, metadata=credentials)
        return entered

    risk_then_change(cached, turnstile)


def test_risk_after_a_bulk_import(cached):
    def bulk(member_id: int) -> datetime:
        entered = now() - timedelta(seconds=20)
        row = {"aluno_id": member_id, "data_entrada": iso(entered)}
        queued = cached.api.post("/aluno/checkins/lote", json={"checkins": [row]})
        assert queued.status_code == 202, queued.text
        location = queued.headers["location"]
        job = poll(
            lambda: (
                (j := cached.api.get(location).json())["estado"] in {"concluido", "falhou"} and j
            ),
            60,
            "the import job",
        )
        assert job["aceitas"] == 1, job["linhas_rejeitadas"]
        return entered

    risk_then_change(cached, bulk)


def test_a_cancellation_is_in_the_next_risk_read_and_soon_out_of_the_list(cached):
    api = cached.api
    listed = read_twice(api, "/alunos/risco", tamanho=200)
    ids = {m["id"] for m in cached.members}
    member_id = next(i["aluno_id"] for i in listed["itens"] if i["aluno_id"] in ids)
    cached.members[:] = [m for m in cached.members if m["id"] != member_id]
    read_twice(api, f"/aluno/{member_id}/risco-churn")
    response = api.post(f"/aluno/{member_id}/cancelamento", json={"motivo": "preco"})
    assert response.status_code == 200, response.text
    assert api.get(f"/aluno/{member_id}/risco-churn").status_code == 409

    def gone() -> bool:
        items = api.get("/alunos/risco", params={"tamanho": 200}).json()["itens"]
        return member_id not in {i["aluno_id"] for i in items}

    poll(gone, 30, "the cancelled member out of the cached list")


def test_a_promoted_model_is_in_the_next_risk_and_list_reads(cached):
    api, member = cached.api, cached.take()
    serving = read_twice(api, f"/aluno/{member['id']}/risco-churn")["versao_modelo"]
    assert read_twice(api, "/alunos/risco", tamanho=5)["versao_modelo"] == serving
    queued = api.post("/modelo/retreino", json={"promover_se_melhor": False})
    assert queued.status_code == 202, queued.text
    location = queued.headers["location"]
    job = poll(
        lambda: (j := api.get(location).json())["estado"] in {"concluido", "falhou"} and j,
        120,
        "the second retraining job",
    )
    assert job["estado"] == "concluido" and job["versao_modelo"] != serving, job
    promoted = api.post(f"/modelo/versoes/{job['versao_modelo']}/promover", json={"forcar": True})
    assert promoted.status_code == 200, promoted.text
    risk = api.get(f"/aluno/{member['id']}/risco-churn").json()
    assert risk["versao_modelo"] == job["versao_modelo"]
    assert (
        api.get("/alunos/risco", params={"tamanho": 5}).json()["versao_modelo"]
        == (job["versao_modelo"])
    )


def test_with_redis_stopped_every_cached_route_answers_uncached(cached):
    """Last of the module: Redis stops for good under the running stack."""
    api, member = cached.api, cached.take()
    paths = [
        f"/aluno/{member['id']}/frequencia",
        f"/aluno/{member['id']}/risco-churn",
        "/alunos/risco",
    ]
    for path in paths:
        read_twice(api, path)
    cached.redis.stop()
    for _ in range(3):
        for path in paths:
            started = time.monotonic()
            response = api.get(path)
            took = time.monotonic() - started
            assert response.status_code == 200, (path, response.text)
            assert response.headers["x-cache"] in {"error", "bypass"}, (path, took)
    total = api.get(paths[0]).json()["total_checkins"]
    response = api.post("/aluno/checkin", json={"aluno_id": member["id"]})
    assert response.status_code == 201, response.text  # writes too (their bumps are owed)
    again = api.get(paths[0])
    assert again.status_code == 200 and again.headers["x-cache"] in {"error", "bypass"}
    assert again.json()["total_checkins"] == total + 1
