"""Daily reports over HTTP against the real processes (attendance, relay, reports worker,
gateway): POST /relatorios/diarios queues the build, the worker stores it, GET reads it as JSON
and CSV with the figures this test computes itself from what it recorded.

Dates owned by this module: 2025-08-10 to 2025-08-14 (no other end-to-end test records data
then)."""

import csv
import io
import math
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e_support import assert_error

pytestmark = pytest.mark.e2e

GYM = ZoneInfo("America/Sao_Paulo")  # the stack runs with the default time zone
DAY = date(2025, 8, 12)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock_time(hour, minute), tzinfo=GYM)


def wait_for_report(api: httpx.Client, day: str, within: float = 30.0) -> httpx.Response:
    """GET the report until it exists (the worker built it), with a deadline."""
    deadline = time.monotonic() + within
    while True:
        response = api.get(f"/relatorios/diarios/{day}")
        if response.status_code != 404:
            return response
        assert response.json()["erro"]["codigo"] == "REPORT_NOT_FOUND"
        if time.monotonic() > deadline:
            raise AssertionError(f"the report of {day} was not built within {within:g}s")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def recorded(api: httpx.Client, plan: dict[str, Any]) -> dict[str, Any]:
    """Members and visits around DAY: two regulars enrolled before, one new member that day, a
    cancellation that day, visits on DAY (one across midnight, one never checked out) and on
    the days either side."""

    def register(enrolled: datetime) -> dict[str, Any]:
        body = {
            "nome": "Aluno Relatorio",
            "email": f"relatorio.{time.monotonic_ns()}@example.com",
            "plano_id": plan["id"],
            "data_matricula": enrolled.isoformat(),
        }
        response = api.post("/aluno/registro", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    ana = register(local(DAY - timedelta(days=2), 9))
    bruno = register(local(DAY - timedelta(days=2), 10))
    carla = register(local(DAY, 6, 30))  # new that day
    visits = [
        (ana, local(DAY - timedelta(days=1), 23, 50), local(DAY, 0, 40)),  # the day before
        (ana, local(DAY, 7, 0), local(DAY, 8, 15)),
        (bruno, local(DAY, 7, 30), local(DAY, 9, 1)),
        (carla, local(DAY, 7, 45), None),  # never checked out
        (ana, local(DAY, 18, 5), local(DAY, 19, 0)),
        (bruno, local(DAY, 23, 30), local(DAY + timedelta(days=1), 0, 20)),  # across midnight
        (carla, local(DAY + timedelta(days=1), 6, 0), local(DAY + timedelta(days=1), 7, 0)),
    ]
    for member, entered, exited in visits:
        body = {"aluno_id": member["id"], "data_entrada": entered.isoformat()}
        if exited is not None:
            body["data_saida"] = exited.isoformat()
        response = api.post("/aluno/checkin", json=body)
        assert response.status_code == 201, response.text
    cancelled = [local(DAY, 20)]
    response = api.post(
        f"/aluno/{ana['id']}/cancelamento",
        json={"motivo": "mudanca", "data_cancelamento": cancelled[0].isoformat()},
    )
    assert response.status_code == 200, response.text
    return {
        "plan": plan["codigo"],
        "enrolled": [ana, bruno, carla],
        "visits": visits,
        "cancelled": cancelled,
    }


def expected(recorded: dict[str, Any]) -> dict[str, Any]:
    """The report of DAY, computed here from what was recorded."""
    today = [
        (member, entered, exited)
        for member, entered, exited in recorded["visits"]
        if entered.astimezone(GYM).date() == DAY
    ]
    hours = Counter(entered.astimezone(GYM).hour for _, entered, _ in today)
    minutes = [
        math.floor((exited - entered).total_seconds() / 60)
        for _, entered, exited in today
        if exited is not None
    ]
    new = [
        m
        for m in recorded["enrolled"]
        if datetime.fromisoformat(m["data_matricula"]).astimezone(GYM).date() == DAY
    ]
    return {
        "data": DAY.isoformat(),
        "visitas": len(today),
        "alunos_unicos": len({member["id"] for member, _, _ in today}),
        "visitas_por_hora": [{"hora": h, "visitas": hours.get(h, 0)} for h in range(24)],
        "visitas_por_plano": [{"plano": recorded["plan"], "visitas": len(today)}],
        "media_duracao_minutos": sum(minutes) / len(minutes),
        "novos_alunos": len(new),
        "cancelamentos": sum(c.astimezone(GYM).date() == DAY for c in recorded["cancelled"]),
        "alunos_risco_alto": None,  # the session's stack trains no model: churn cannot say
    }


@pytest.fixture(scope="module")
def built(api: httpx.Client, recorded) -> dict[str, Any]:
    response = api.post("/relatorios/diarios", json={"data": DAY.isoformat()})
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["data"] == DAY.isoformat() and len(queued["job_id"]) == 36
    assert response.headers["location"] == f"/relatorios/diarios/{DAY.isoformat()}"
    report = wait_for_report(api, DAY.isoformat())
    assert report.status_code == 200, report.text
    return report.json()


def test_the_report_of_a_day_has_the_figures_of_what_was_recorded(built, recorded):
    generated = datetime.fromisoformat(built.pop("gerado_em"))
    assert generated.tzinfo is not None
    assert built == expected(recorded)


def test_the_same_report_as_csv(api, built, recorded):
    for params, headers in (({"formato": "csv"}, {}), ({}, {"Accept": "text/csv"})):
        response = api.get(f"/relatorios/diarios/{DAY.isoformat()}", params=params, headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        (row,) = list(csv.DictReader(io.StringIO(response.text)))
        want = expected(recorded)
        assert row["data"] == want["data"]
        assert int(row["visitas"]) == want["visitas"]
        assert int(row["alunos_unicos"]) == want["alunos_unicos"]
        assert float(row["media_duracao_minutos"]) == want["media_duracao_minutos"]
        assert [int(row[f"hora_{h:02d}"]) for h in range(24)] == [
            count["visitas"] for count in want["visitas_por_hora"]
        ]
        assert int(row[f"plano_{recorded['plan']}"]) == want["visitas"]
        assert int(row["novos_alunos"]) == want["novos_alunos"]
        assert int(row["cancelamentos"]) == want["cancelamentos"]


def test_the_range_lists_the_dates_built(api, built):
    response = api.get(
        "/relatorios/diarios",
        params={
            "data_inicio": (DAY - timedelta(days=2)).isoformat(),
            "data_fim": (DAY + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 200, response.text
    assert [report["data"] for report in response.json()["relatorios"]] == [DAY.isoformat()]


def test_building_again_replaces_the_report(api, built, recorded):
    member = recorded["enrolled"][1]
    response = api.post(
        "/aluno/checkin",
        json={
            "aluno_id": member["id"],
            "data_entrada": local(DAY, 12).isoformat(),
            "data_saida": local(DAY, 12, 50).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    recorded["visits"].append((member, local(DAY, 12), local(DAY, 12, 50)))
    before = datetime.fromisoformat(
        api.get(f"/relatorios/diarios/{DAY.isoformat()}").json()["gerado_em"]
    )
    assert api.post("/relatorios/diarios", json={"data": DAY.isoformat()}).status_code == 202

    deadline = time.monotonic() + 30
    while True:
        report = api.get(f"/relatorios/diarios/{DAY.isoformat()}").json()
        if datetime.fromisoformat(report["gerado_em"]) > before:
            break
        assert time.monotonic() < deadline, "the report was not rebuilt within 30s"
        time.sleep(0.2)
    report.pop("gerado_em")
    assert report == expected(recorded)


def test_without_a_date_yesterday_is_built(api):
    before = datetime.now(GYM).date() - timedelta(days=1)
    response = api.post("/relatorios/diarios")
    after = datetime.now(GYM).date() - timedelta(days=1)
    assert response.status_code == 202, response.text
    assert response.json()["data"] in {before.isoformat(), after.isoformat()}
    assert wait_for_report(api, response.json()["data"]).status_code == 200


def test_errors(api):
    tomorrow = (datetime.now(GYM).date() + timedelta(days=2)).isoformat()
    assert_error(
        api.post("/relatorios/diarios", json={"data": tomorrow}),
        422,
        "REPORT_DATE_IN_FUTURE",
        "data",
    )
    unbuilt = (DAY - timedelta(days=2)).isoformat()
    assert_error(api.get(f"/relatorios/diarios/{unbuilt}"), 404, "REPORT_NOT_FOUND", "data")
    assert_error(api.get("/relatorios/diarios/2025-02-30"), 422, "VALIDATION_ERROR", "data")
    assert_error(
        api.get(
            "/relatorios/diarios", params={"data_inicio": "2024-01-01", "data_fim": "2025-06-01"}
        ),
        422,
        "VALIDATION_ERROR",
        "data_inicio",
    )
