"""Daily reports through the app, with fake stubs: queueing (202), reading as JSON and CSV
(by `formato` or `Accept`), listing, and the errors."""

import csv
import io

import pytest
from gateway_fakes import FakeStub, rpc_error
from gateway_protos import ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.routes.reports import wants_csv
from frequenta_kit.errors import InvalidInput, NotFound

JOB_ID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"


def report(day: str = "2026-03-02", **changes) -> pb.DailyReport:
    hours = [0] * 24
    hours[7], hours[18] = 3, 2
    fields = dict(
        date=day,
        visits=5,
        unique_members=4,
        by_hour=[pb.HourlyCount(hour=hour, visits=n) for hour, n in enumerate(hours)],
        by_plan=[
            pb.PlanCount(plan_code="mensal", visits=3),
            pb.PlanCount(plan_code="anual", visits=2),
        ],
        average_visit_minutes=67.5,
        new_members=1,
        cancellations=0,
        high_risk_members=0,
        generated_at=ts("2026-03-03T05:00:02Z"),
    )
    fields.update(changes)
    return pb.DailyReport(**fields)


def erro(response) -> dict:
    return response.json()["erro"]


async def test_queue_a_date(client, attendance: FakeStub):
    attendance.answer(
        "GenerateDailyReport", pb.GenerateDailyReportResponse(job_id=JOB_ID, date="2026-03-02")
    )
    response = await client.post("/relatorios/diarios", json={"data": "2026-03-02"})
    assert response.status_code == 202
    assert response.json() == {"job_id": JOB_ID, "data": "2026-03-02"}
    assert response.headers["location"] == "/relatorios/diarios/2026-03-02"
    (sent,) = attendance.requests("GenerateDailyReport")
    assert sent.date == "2026-03-02"


@pytest.mark.parametrize("body", [None, {}, {"data": None}])
async def test_queue_without_a_date_asks_for_the_default(client, attendance, body):
    attendance.answer(
        "GenerateDailyReport", pb.GenerateDailyReportResponse(job_id=JOB_ID, date="2026-03-01")
    )
    response = await client.post("/relatorios/diarios", json=body)
    assert response.status_code == 202, response.text
    (sent,) = attendance.requests("GenerateDailyReport")
    assert sent.date == ""


@pytest.mark.parametrize(
    ("body", "campo"),
    [({"data": "02/03/2026"}, "data"), ({"data": 20260302}, "data"), ({"dia": "x"}, "dia")],
)
async def test_queue_refuses_bad_bodies(client, attendance, body, campo):
    response = await client.post("/relatorios/diarios", json=body)
    assert response.status_code == 422
    assert erro(response)["codigo"] == "VALIDATION_ERROR"
    assert [detail["campo"] for detail in erro(response)["detalhes"]] == [campo]
    assert attendance.calls == []


async def test_a_future_date_refused_by_the_service_names_the_rest_field(client, attendance):
    attendance.answer(
        "GenerateDailyReport",
        rpc_error(
            InvalidInput("REPORT_DATE_IN_FUTURE", "date 2099-01-01 is after today", field="date")
        ),
    )
    response = await client.post("/relatorios/diarios", json={"data": "2099-01-01"})
    assert response.status_code == 422
    assert erro(response)["codigo"] == "REPORT_DATE_IN_FUTURE"
    assert erro(response)["detalhes"][0]["campo"] == "data"
    assert erro(response)["mensagem"].startswith("data 2099-01-01")


async def test_read_a_report_as_json(client, attendance):
    attendance.answer("GetDailyReport", pb.GetDailyReportResponse(report=report()))
    response = await client.get("/relatorios/diarios/2026-03-02")
    assert response.status_code == 200
    data = response.json()
    assert data["data"] == "2026-03-02"
    assert (data["visitas"], data["alunos_unicos"]) == (5, 4)
    assert len(data["visitas_por_hora"]) == 24
    assert data["visitas_por_hora"][7] == {"hora": 7, "visitas": 3}
    assert data["visitas_por_plano"] == [
        {"plano": "mensal", "visitas": 3},
        {"plano": "anual", "visitas": 2},
    ]
    assert data["media_duracao_minutos"] == 67.5
    assert (data["novos_alunos"], data["cancelamentos"], data["alunos_risco_alto"]) == (1, 0, 0)
    assert data["gerado_em"] == "2026-03-03T05:00:02Z"
    (sent,) = attendance.requests("GetDailyReport")
    assert sent.date == "2026-03-02"


async def test_a_report_without_finished_visits_has_a_null_average(client, attendance):
    bare = report()
    bare.ClearField("average_visit_minutes")
    attendance.answer("GetDailyReport", pb.GetDailyReportResponse(report=bare))
    response = await client.get("/relatorios/diarios/2026-03-02")
    assert response.json()["media_duracao_minutos"] is None
    response = await client.get("/relatorios/diarios/2026-03-02", params={"formato": "csv"})
    row = next(csv.DictReader(io.StringIO(response.text)))
    assert row["media_duracao_minutos"] == ""


async def test_a_high_risk_count_churn_could_not_give_is_null(client, attendance):
    unknown = report()
    unknown.ClearField("high_risk_members")
    attendance.answer("GetDailyReport", pb.GetDailyReportResponse(report=unknown))
    response = await client.get("/relatorios/diarios/2026-03-02")
    assert response.json()["alunos_risco_alto"] is None
    response = await client.get("/relatorios/diarios/2026-03-02", params={"formato": "csv"})
    assert next(csv.DictReader(io.StringIO(response.text)))["alunos_risco_alto"] == ""
    attendance.answer(
        "GetDailyReport", pb.GetDailyReportResponse(report=report(high_risk_members=12))
    )
    assert (await client.get("/relatorios/diarios/2026-03-02")).json()["alunos_risco_alto"] == 12


def parse_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("params", "headers"),
    [({"formato": "csv"}, {}), ({}, {"Accept": "text/csv"}), ({}, {"Accept": "text/csv, */*"})],
)
async def test_read_a_report_as_csv(client, attendance, params, headers):
    attendance.answer("GetDailyReport", pb.GetDailyReportResponse(report=report()))
    response = await client.get("/relatorios/diarios/2026-03-02", params=params, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="relatorio-diario-2026-03-02.csv"' in response.headers["content-disposition"]
    assert response.text.endswith("\r\n")
    (row,) = parse_csv(response.text)
    assert row["data"] == "2026-03-02"
    assert (row["visitas"], row["alunos_unicos"], row["media_duracao_minutos"]) == (
        "5",
        "4",
        "67.5",
    )
    assert (row["hora_07"], row["hora_18"], row["hora_00"], row["hora_23"]) == ("3", "2", "0", "0")
    assert (row["plano_mensal"], row["plano_anual"]) == ("3", "2")
    assert row["gerado_em"] == "2026-03-03T05:00:02Z"
    header = response.text.split("\r\n")[0].split(",")
    assert header[:8] == [
        "data",
        "visitas",
        "alunos_unicos",
        "media_duracao_minutos",
        "novos_alunos",
        "cancelamentos",
        "alunos_risco_alto",
        "gerado_em",
    ]
    assert header[8:32] == [f"hora_{hour:02d}" for hour in range(24)]


async def test_formato_json_wins_over_accept(client, attendance):
    attendance.answer("GetDailyReport", pb.GetDailyReportResponse(report=report()))
    response = await client.get(
        "/relatorios/diarios/2026-03-02", params={"formato": "json"}, headers={"Accept": "text/csv"}
    )
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("formato", "accept", "csv_wanted"),
    [
        (None, None, False),
        (None, "application/json", False),
        (None, "*/*", False),
        (None, "text/csv", True),
        (None, "text/csv;q=0.5, application/json", False),
        (None, "application/json;q=0.5, text/csv", True),
        (None, "text/csv;q=0", False),
        ("csv", "application/json", True),
        ("json", "text/csv", False),
    ],
)
def test_format_negotiation(formato, accept, csv_wanted):
    assert wants_csv(formato, accept) is csv_wanted


async def test_an_unknown_format_is_422(client, attendance):
    response = await client.get("/relatorios/diarios/2026-03-02", params={"formato": "xml"})
    assert response.status_code == 422
    assert erro(response)["detalhes"][0]["campo"] == "formato"


async def test_a_date_not_built_is_404(client, attendance):
    attendance.answer(
        "GetDailyReport",
        rpc_error(NotFound("REPORT_NOT_FOUND", "no report of 2026-03-02", field="date")),
    )
    response = await client.get("/relatorios/diarios/2026-03-02")
    assert response.status_code == 404
    assert erro(response)["codigo"] == "REPORT_NOT_FOUND"
    response = await client.get("/relatorios/diarios/2026-03-02", params={"formato": "csv"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize("path", ["2026-02-30", "02-03-2026", "ontem"])
async def test_a_bad_date_in_the_path_is_422(client, attendance, path):
    response = await client.get(f"/relatorios/diarios/{path}")
    assert response.status_code == 422
    assert erro(response)["detalhes"][0]["campo"] == "data"
    assert attendance.calls == []


async def test_list_a_range(client, attendance):
    attendance.answer(
        "ListDailyReports",
        pb.ListDailyReportsResponse(
            reports=[
                report("2026-03-03", by_plan=[pb.PlanCount(plan_code="trimestral", visits=5)]),
                report("2026-03-02"),
            ]
        ),
    )
    response = await client.get(
        "/relatorios/diarios", params={"data_inicio": "2026-03-01", "data_fim": "2026-03-03"}
    )
    assert response.status_code == 200
    assert [r["data"] for r in response.json()["relatorios"]] == ["2026-03-03", "2026-03-02"]
    (sent,) = attendance.requests("ListDailyReports")
    assert (sent.from_date, sent.to_date) == ("2026-03-01", "2026-03-03")

    response = await client.get("/relatorios/diarios", headers={"Accept": "text/csv"})
    rows = parse_csv(response.text)
    assert [row["data"] for row in rows] == ["2026-03-03", "2026-03-02"]
    # Every plan of any report has its column; 0 where a report has no entry for it.
    assert [(row["plano_anual"], row["plano_mensal"], row["plano_trimestral"]) for row in rows] == [
        ("0", "0", "5"),
        ("2", "3", "0"),
    ]
    assert attendance.requests("ListDailyReports")[1].from_date == ""


async def test_an_empty_range_lists_nothing(client, attendance):
    attendance.answer("ListDailyReports", pb.ListDailyReportsResponse())
    response = await client.get("/relatorios/diarios")
    assert response.json() == {"relatorios": []}
    response = await client.get("/relatorios/diarios", params={"formato": "csv"})
    assert len(parse_csv(response.text)) == 0
    assert response.text.startswith("data,visitas,")


async def test_a_range_refused_by_the_service(client, attendance):
    attendance.answer(
        "ListDailyReports",
        rpc_error(
            InvalidInput(
                "VALIDATION_ERROR", "the range covers more than 366 days", field="from_date"
            )
        ),
    )
    response = await client.get(
        "/relatorios/diarios", params={"data_inicio": "2024-01-01", "data_fim": "2026-01-01"}
    )
    assert response.status_code == 422
    assert erro(response)["detalhes"][0]["campo"] == "data_inicio"


async def test_the_routes_are_documented(client):
    spec = (await client.get("/openapi.json")).json()
    one = spec["paths"]["/relatorios/diarios/{data}"]["get"]
    assert set(one["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "404" in one["responses"]
    post = spec["paths"]["/relatorios/diarios"]["post"]
    assert "202" in post["responses"]
    assert spec["components"]["schemas"]["DailyReport"]["examples"]
