"""Churn risk served by a trained model through the real processes, in a stack of its own (the
session's stack keeps no model): a small simulated gym seeded over REST, a model trained by the
retrain worker, then GET /aluno/{id}/risco-churn for an active member (200 with factors), a
cancelled one (409), a member of a few days (a score flagged `historico_limitado`), the at-risk
list ranked, filtered and named, never with a cancelled member, and the daily report's count of
members at high risk equal to the list's."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e_stack import launch_stack
from e2e_support import assert_error, load_gym_with_model, poll, unique_email

pytestmark = pytest.mark.e2e

FACTORS = {
    "ausencia",
    "frequencia",
    "regularidade",
    "duracao_visita",
    "tempo_matricula",
    "plano_renovacao",
}
BANDS = ("baixo", "médio", "alto")
GYM = ZoneInfo("America/Sao_Paulo")


def members(api: httpx.Client, status: str) -> list[dict[str, Any]]:
    found, page = [], 1
    while True:
        body = api.get("/alunos", params={"status": status, "pagina": page, "tamanho": 200}).json()
        found += body["itens"]
        if len(found) >= body["total"]:
            return found
        page += 1


@dataclass(frozen=True)
class Served:
    api: httpx.Client
    version: str
    active: list[dict[str, Any]]
    cancelled: list[dict[str, Any]]


@pytest.fixture(scope="module")
def served(request, tmp_path_factory, rabbitmq_url) -> Iterator[Served]:
    with (
        launch_stack(
            request,
            tmp_path_factory.mktemp("risk"),
            rabbitmq_url,
            model_poll_seconds="0.5",
            risk_snapshot_seconds="2",
        ) as stack,
        stack.client(timeout=30) as api,
    ):
        job = load_gym_with_model(api)
        active, cancelled = members(api, "ativos"), members(api, "cancelados")
        assert active and cancelled
        yield Served(api, job["versao_modelo"], active, cancelled)


def risk_of(served: Served, member_id: int) -> httpx.Response:
    """The member's risk, once churn's projection knows them (404 until then)."""
    return poll(
        lambda: (r := served.api.get(f"/aluno/{member_id}/risco-churn")).status_code != 404 and r,
        30,
        f"member {member_id} in churn's projection",
    )


@pytest.mark.timeout(300)
def highest_risk_long_enrolled(served: Served) -> dict[str, Any]:
    """The member at the top of the at-risk list among those enrolled 42 days or more: their
    risk stands furthest from the gym's usual, so the model must name what raised it. (A member
    at about the usual risk may have no factor above the explanations' floor: under the recency
    rule, one who came as often as the reference member.)"""

    def top() -> dict[str, Any] | None:
        response = served.api.get("/alunos/risco", params={"min_dias_matricula": 42, "tamanho": 1})
        return response.status_code == 200 and response.json()["itens"] and response.json()

    first = poll(top, 30, "the at-risk list of long-enrolled members")["itens"][0]
    member = next((m for m in served.active if m["id"] == first["aluno_id"]), None)
    assert member is not None, first
    return member


def test_an_active_members_risk_has_its_reasons(served):
    member = highest_risk_long_enrolled(served)
    response = risk_of(served, member["id"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["aluno_id"] == member["id"] and 0 <= body["probabilidade_churn"] <= 1
    assert body["risco_nivel"] in BANDS
    assert (body["versao_modelo"], body["horizonte_dias"]) == (served.version, 30)
    assert body["plano"] == member["plano"]["codigo"]
    assert body["historico_limitado"] is False and body["dias_matricula"] >= 42
    assert 1 <= len(body["fatores_risco"]) <= 4 and body["recomendacoes"]
    for factor in body["fatores_risco"]:
        assert factor["fator"] in FACTORS and factor["direcao"] in {"aumenta", "reduz"}
        assert factor["descricao"] and factor["peso"] > 0 and factor["atributo"]
    assert datetime.fromisoformat(body["calculado_em"]).tzinfo is not None


def test_a_cancelled_member_is_409_with_the_date(served):
    member = served.cancelled[0]
    erro = assert_error(
        served.api.get(f"/aluno/{member['id']}/risco-churn"),
        409,
        "MEMBERSHIP_CANCELLED",
        "aluno_id",
    )
    day = datetime.fromisoformat(member["data_cancelamento"]).astimezone(GYM).date()
    assert f"cancelled on {day.isoformat()}" in erro["mensagem"]


def test_an_unknown_member_is_404(served):
    assert_error(served.api.get("/aluno/987654321/risco-churn"), 404, "MEMBER_NOT_FOUND")


def test_a_member_of_a_few_days_gets_a_score_flagged_limited(served):
    plan_id = served.active[0]["plano_id"]
    enrolled = (datetime.now(UTC) - timedelta(days=5)).isoformat()
    registered = served.api.post(
        "/aluno/registro",
        json={
            "nome": "Aluna Nova",
            "email": unique_email(),
            "plano_id": plan_id,
            "data_matricula": enrolled,
        },
    )
    assert registered.status_code == 201, registered.text
    body = risk_of(served, registered.json()["id"]).json()
    assert body["historico_limitado"] is True and body["dias_matricula"] == 5
    assert body["recomendacoes"][0].startswith("Fazer o acompanhamento de boas-vindas")


def test_the_at_risk_list_is_ranked_filtered_named_and_only_active(served):
    api = served.api
    active = {m["id"]: m for m in served.active}

    def complete():
        body = api.get("/alunos/risco", params={"tamanho": 200}).json()
        return body if body["total"] >= len(active) else None

    everyone = poll(complete, 30, "every active member in the list's snapshot")
    assert everyone["versao_modelo"] == served.version
    items = everyone["itens"]
    assert len(items) == min(200, everyone["total"])
    probabilities = [item["probabilidade_churn"] for item in items]
    assert probabilities == sorted(probabilities, reverse=True)
    assert not {item["aluno_id"] for item in items} & {m["id"] for m in served.cancelled}
    for item in items[:20]:
        if item["aluno_id"] in active:
            assert item["nome"] == active[item["aluno_id"]]["nome"]
        assert 1 <= len(item["fatores_risco"]) <= 4

    high = api.get("/alunos/risco", params={"nivel_minimo": "alto"}).json()
    assert all(item["risco_nivel"] == "alto" for item in high["itens"])
    medium_up = api.get("/alunos/risco", params={"nivel_minimo": "medio"}).json()
    assert high["total"] <= medium_up["total"] <= everyone["total"]
    assert {i["risco_nivel"] for i in medium_up["itens"]} <= {"médio", "alto"}
    code = served.active[0]["plano"]["codigo"]
    by_plan = api.get("/alunos/risco", params={"plano": code, "max_dias_matricula": 120}).json()
    assert all(i["plano"] == code and i["dias_matricula"] <= 120 for i in by_plan["itens"])
    page_two = api.get("/alunos/risco", params={"pagina": 2, "tamanho": 5}).json()
    assert [i["aluno_id"] for i in page_two["itens"]] == [i["aluno_id"] for i in items[5:10]]


def test_a_member_cancelled_now_leaves_the_list_at_once(served):
    api = served.api
    top = api.get("/alunos/risco", params={"tamanho": 1}).json()["itens"][0]
    cancelled = api.post(f"/aluno/{top['aluno_id']}/cancelamento", json={"motivo": "preco"})
    assert cancelled.status_code == 200, cancelled.text
    assert_error(api.get(f"/aluno/{top['aluno_id']}/risco-churn"), 409, "MEMBERSHIP_CANCELLED")

    def gone():
        ids = [
            i["aluno_id"] for i in api.get("/alunos/risco", params={"tamanho": 200}).json()["itens"]
        ]
        return top["aluno_id"] not in ids

    poll(gone, 15, "the cancelled member out of the list")  # as soon as the projection has it


def test_the_daily_report_counts_the_members_at_high_risk(served):
    api = served.api

    def high() -> int:
        return api.get("/alunos/risco", params={"nivel_minimo": "alto", "tamanho": 1}).json()[
            "total"
        ]

    before = high()
    response = api.post("/relatorios/diarios", json={})
    assert response.status_code == 202, response.text
    day = response.json()["data"]

    def built():
        report = api.get(f"/relatorios/diarios/{day}")
        return report.json() if report.status_code == 200 else None

    report = poll(built, 60, "the daily report")
    # The list's snapshot is rescored every 2 s here: the count may move with the clock.
    assert report["alunos_risco_alto"] in {before, high()}
