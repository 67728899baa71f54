"""POST /aluno/checkins/lote (JSON and CSV) and the job status, against the real processes:
gateway -> attendance (outbox) -> relay -> RabbitMQ -> ingestion worker -> PostgreSQL."""

import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from e2e_support import assert_error, iso, now

pytestmark = pytest.mark.e2e

PATH = "/aluno/checkins/lote"


def finished(api: httpx.Client, location: str, within: float = 60.0) -> dict[str, Any]:
    """Poll the job at ``location`` until it is done, with a deadline."""
    deadline = time.monotonic() + within
    while True:
        response = api.get(location)
        assert response.status_code == 200, response.text
        job = response.json()
        if job["estado"] in ("concluido", "falhou"):
            return job
        assert time.monotonic() < deadline, f"job still {job['estado']} after {within:g}s: {job}"
        time.sleep(0.2)


@pytest.fixture
def members(new_member) -> Callable[[int], list[dict[str, Any]]]:
    def make(count: int) -> list[dict[str, Any]]:
        return [new_member(data_matricula=iso(now() - timedelta(days=60))) for _ in range(count)]

    return make


def test_a_json_batch_is_imported_with_counts_and_reasons(api, members):
    ana, bia = members(2)
    day = now() - timedelta(days=7)
    key = f"e2e-{uuid.uuid4().hex[:8]}"
    rows = [
        {
            "aluno_id": ana["id"],
            "data_entrada": iso(day),
            "data_saida": iso(day + timedelta(minutes=70)),
            "dispositivo_id": "catraca-01",
            "chave_idempotencia": key,
        },
        {"aluno_id": ana["id"], "data_entrada": iso(day + timedelta(days=1))},
        {
            "aluno_id": bia["id"],
            "data_entrada": iso(day),
            "data_saida": iso(day + timedelta(hours=1)),
        },
        {"aluno_id": ana["id"], "data_entrada": iso(day), "chave_idempotencia": key},
        {"aluno_id": 987_654_321, "data_entrada": iso(day)},
        {"aluno_id": bia["id"], "data_entrada": iso(now() + timedelta(hours=1))},
    ]
    response = api.post(PATH, json={"checkins": rows, "origem": "catraca"})
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["estado"] == "na_fila" and queued["total_linhas"] == 6
    assert response.headers["location"] == f"{PATH}/{queued['job_id']}"

    job = finished(api, response.headers["location"])
    assert job["estado"] == "concluido", job
    assert (job["processadas"], job["aceitas"], job["duplicadas"], job["rejeitadas"]) == (
        6,
        3,
        1,
        2,
    )
    assert job["progresso"] == 1.0
    assert [(r["linha"], r["codigo"]) for r in job["linhas_rejeitadas"]] == [
        (5, "MEMBER_NOT_FOUND"),
        (6, "TIMESTAMP_IN_FUTURE"),
    ]
    assert job["iniciado_em"] and job["concluido_em"] and job["erro"] is None

    history = api.get(f"/aluno/{ana['id']}/frequencia").json()
    assert history["total_checkins"] == 2
    assert {v["origem"] for v in history["checkins"]} == {"catraca"}
    assert history["media_duracao_minutos"] == 70


def test_a_csv_batch_is_imported_and_sending_it_again_stores_nothing_new(api, members):
    (member,) = members(1)
    start = now() - timedelta(days=20)
    lines = ["aluno_id,data_entrada,data_saida,dispositivo_id,chave_idempotencia"]
    for day in range(10):
        entered = start + timedelta(days=day)
        key = f"csv-{member['id']}-{day}" if day % 2 else ""
        lines.append(
            f"{member['id']},{iso(entered)},{iso(entered + timedelta(minutes=45))},catraca-02,{key}"
        )
    body = "\n".join(lines) + "\n"
    headers = {"content-type": "text/csv"}

    first = api.post(PATH, content=body, headers=headers)
    assert first.status_code == 202, first.text
    job = finished(api, first.headers["location"])
    assert (job["estado"], job["aceitas"], job["duplicadas"], job["rejeitadas"]) == (
        "concluido",
        10,
        0,
        0,
    )

    again = api.post(PATH, content=body, headers=headers)
    assert again.status_code == 202, again.text
    assert again.json()["job_id"] != first.json()["job_id"]
    job = finished(api, again.headers["location"])
    assert (job["aceitas"], job["duplicadas"]) == (0, 10)

    history = api.get(
        f"/aluno/{member['id']}/frequencia", params={"data_inicio": iso(start)[:10]}
    ).json()
    assert history["total_checkins"] == 10
    assert {v["origem"] for v in history["checkins"]} == {"importacao"}


def test_an_unreadable_upload_is_refused_whole_and_unknown_jobs_are_404(api):
    body = "aluno_id,data_entrada\n1,2025-03-10T10:20:00Z\nabc,2025-03-10T10:20:00Z\n"
    response = api.post(PATH, content=body, headers={"content-type": "text/csv"})
    erro = assert_error(response, 422, "VALIDATION_ERROR", "checkins[1].aluno_id")
    assert "linha 2" in erro["mensagem"]

    response = api.get(f"{PATH}/{uuid.uuid4()}")
    assert_error(response, 404, "JOB_NOT_FOUND")
    response = api.get(f"{PATH}/not-a-uuid")
    assert_error(response, 422, "VALIDATION_ERROR", "job_id")
