"""The gateway's cache against the session's stack: GET /aluno/{id}/frequencia is served from
Redis once read (X-Cache: hit), and a change of the member through each REST path (check-in,
check-out, bulk import) is in the very next read: no stale answer, no waiting. (Risk and the
at-risk list, gRPC check-ins and Redis stopped, in a stack with a model:
test_e2e_cache_stack.py.)"""

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from e2e_support import ago, iso, now

pytestmark = pytest.mark.e2e


def frequencia(api: httpx.Client, member_id: int, **params: Any) -> httpx.Response:
    response = api.get(f"/aluno/{member_id}/frequencia", params=params)
    assert response.status_code == 200, response.text
    return response


def cached(api: httpx.Client, member_id: int, **params: Any) -> dict[str, Any]:
    """Read twice: the first read stores the answer, the second comes from the cache."""
    first = frequencia(api, member_id, **params)
    second = frequencia(api, member_id, **params)
    assert second.headers["x-cache"] == "hit", second.headers
    assert second.json() == first.json()
    return second.json()


def finished(api: httpx.Client, location: str, within: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while (job := api.get(location).json())["estado"] not in ("concluido", "falhou"):
        assert time.monotonic() < deadline, f"job still {job['estado']} after {within:g}s"
        time.sleep(0.2)
    return job


def test_a_rest_check_in_is_in_the_next_read(api, new_member):
    member = new_member(data_matricula=iso(now() - timedelta(days=60)))
    assert cached(api, member["id"])["total_checkins"] == 0
    response = api.post(
        "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(hours=3)}
    )
    assert response.status_code == 201, response.text
    after = frequencia(api, member["id"])
    assert after.headers["x-cache"] == "miss"
    assert after.json()["total_checkins"] == 1


def test_a_rest_check_out_is_in_the_next_read(api, new_member):
    member = new_member(data_matricula=iso(now() - timedelta(days=60)))
    entered = api.post(
        "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(hours=1)}
    )
    assert entered.status_code == 201, entered.text
    before = cached(api, member["id"])
    assert before["checkins"][0]["data_saida"] is None
    left = api.post("/aluno/checkout", json={"aluno_id": member["id"]})
    assert left.status_code == 200, left.text
    after = frequencia(api, member["id"]).json()
    assert after["checkins"][0]["data_saida"] is not None
    assert after["media_duracao_minutos"] is not None


def test_a_bulk_import_is_in_the_next_read_once_its_job_is_done(api, new_member):
    member = new_member(data_matricula=iso(now() - timedelta(days=60)))
    assert cached(api, member["id"])["total_checkins"] == 0
    rows = [
        {
            "aluno_id": member["id"],
            "data_entrada": iso(now() - timedelta(days=days, hours=2)),
            "data_saida": iso(now() - timedelta(days=days, hours=1)),
        }
        for days in (3, 5, 8)
    ]
    queued = api.post("/aluno/checkins/lote", json={"origem": "importacao", "checkins": rows})
    assert queued.status_code == 202, queued.text
    job = finished(api, queued.headers["location"])
    assert (job["estado"], job["aceitas"]) == ("concluido", 3), job
    assert frequencia(api, member["id"]).json()["total_checkins"] == 3


def test_every_cached_query_of_the_member_moves_with_a_change(api, new_member):
    member = new_member(data_matricula=iso(now() - timedelta(days=60)))
    today = now().date()
    queries = [
        {},
        {"pagina": 2, "tamanho": 1},
        {"data_inicio": (today - timedelta(days=7)).isoformat(), "data_fim": today.isoformat()},
    ]
    for query in queries:
        assert cached(api, member["id"], **query)["total_checkins"] == 0
    response = api.post(
        "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(hours=2)}
    )
    assert response.status_code == 201, response.text
    for query in queries:
        assert frequencia(api, member["id"], **query).json()["total_checkins"] == 1, query


def hits_counted(api: httpx.Client) -> float:
    text = api.get("/metrics").text
    line = 'frequenta_cache_requests_total{result="hit",route="frequencia"} '
    found = [row for row in text.splitlines() if row.startswith(line)]
    return float(found[0].split()[-1]) if found else 0.0


def test_hits_are_counted_in_the_gateways_metrics(api, new_member):
    member = new_member()
    before = hits_counted(api)
    cached(api, member["id"])
    assert hits_counted(api) >= before + 1
