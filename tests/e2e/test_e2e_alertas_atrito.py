"""Alerts and outcome reports over HTTP against the real processes (attendance, gateway): a member
who joined in the past and stopped coming is alerted, a check-in clears it, new thresholds change
the alerts at once, and a cancellation's reason code reaches /relatorios/atrito.

The alert thresholds are one row for the whole stack: this module restores what it found."""

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from e2e_support import ago, assert_error, unique_email

pytestmark = pytest.mark.e2e


@pytest.fixture
def own_plan(api: httpx.Client) -> dict[str, Any]:
    """A plan of this test's own: its figures in the reports are exactly this test's members."""
    code = f"alertas-{uuid.uuid4().hex[:8]}"
    body = {"codigo": code, "nome": f"Plano {code}", "duracao_meses": 1, "preco": 99.9}
    response = api.post("/planos", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def thresholds(api: httpx.Client) -> Iterator[dict[str, Any]]:
    """The thresholds in force, put back after the test."""
    found = api.get("/alertas/limites")
    assert found.status_code == 200, found.text
    values = {key: value for key, value in found.json().items() if not key.startswith("alterado")}
    yield values
    restored = api.put("/alertas/limites", json=values)
    assert restored.status_code == 200, restored.text


def register(api: httpx.Client, plan: dict[str, Any], enrolled_days_ago: int) -> dict[str, Any]:
    body = {
        "nome": "Aluno Alertas",
        "email": unique_email("alertas"),
        "plano_id": plan["id"],
        "data_matricula": ago(days=enrolled_days_ago),
    }
    response = api.post("/aluno/registro", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def alerts_of(api: httpx.Client, member_id: int) -> list[dict[str, Any]]:
    response = api.get(f"/aluno/{member_id}/alertas")
    assert response.status_code == 200, response.text
    return response.json()["itens"]


def listed(api: httpx.Client, member_id: int, tipo: str) -> list[dict[str, Any]]:
    """The member's alerts of ``tipo`` in GET /alertas, every page read."""
    found, page = [], 1
    while True:
        response = api.get("/alertas", params={"tipo": tipo, "pagina": page, "tamanho": 200})
        assert response.status_code == 200, response.text
        body = response.json()
        found += [item for item in body["itens"] if item["aluno_id"] == member_id]
        if page * 200 >= body["total"]:
            return found
        page += 1


def attrition_now(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/relatorios/atrito", params={"meses": 1})
    assert response.status_code == 200, response.text
    [month] = response.json()["meses"]
    return month


def test_alerts_clear_on_check_in_follow_the_thresholds_and_reasons_reach_attrition(
    api, own_plan, thresholds
):
    assert thresholds["estagios_inatividade_dias"] == [7, 14, 30]  # the defaults of a fresh gym

    # A member who joined 40 days ago and came once, 20 days ago (a check-in in the past): too
    # few visits in the first month, and 20 days without a visit.
    member = register(api, own_plan, enrolled_days_ago=40)
    visit = api.post(
        "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(days=20)}
    )
    assert visit.status_code == 201, visit.text
    early, alert = alerts_of(api, member["id"])  # most urgent first
    assert (early["tipo"], early["mes_inicial"], early["visitas_mes_inicial"]) == (
        "poucas_visitas_inicio",
        1,
        1,
    )
    assert (alert["tipo"], alert["estagio"], alert["dias_sem_visita"]) == ("inatividade", 14, 20)
    assert alert["plano"] == own_plan["codigo"] and "20 dias" in alert["descricao"]
    assert [a["estagio"] for a in listed(api, member["id"], "inatividade")] == [14]

    # The next check-in clears both.
    assert api.post("/aluno/checkin", json={"aluno_id": member["id"]}).status_code == 201
    assert alerts_of(api, member["id"]) == []
    assert listed(api, member["id"], "inatividade") == []

    # A new member 10 days in without a visit: no alert at 14 days, one at 7.
    newcomer = register(api, own_plan, enrolled_days_ago=10)
    assert alerts_of(api, newcomer["id"]) == []
    bad = api.put("/alertas/limites", json={**thresholds, "estagios_inatividade_dias": [14, 7, 30]})
    assert_error(bad, 422, "VALIDATION_ERROR", "estagios_inatividade_dias")
    assert "strictly increasing" in bad.json()["erro"]["detalhes"][0]["mensagem"]
    changed = api.put("/alertas/limites", json={**thresholds, "dias_sem_visita_inicial": 7})
    assert changed.status_code == 200, changed.text
    assert changed.json()["dias_sem_visita_inicial"] == 7 and changed.json()["alterado_por"]
    assert api.get("/alertas/limites").json() == changed.json()
    [alert] = alerts_of(api, newcomer["id"])
    assert (alert["tipo"], alert["estagio"], alert["ultimo_checkin"]) == (
        "sem_visita_inicial",
        None,
        None,
    )
    assert listed(api, newcomer["id"], "sem_visita_inicial") == [alert]

    # Cancelled with a reason code: on the member, in the attrition report, no more alerts.
    before = attrition_now(api)
    cancelled = api.post(
        f"/aluno/{newcomer['id']}/cancelamento",
        json={"codigo_motivo": "saude", "motivo": "Lesão no joelho"},
    )
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["codigo_motivo"], cancelled.json()["observacao_cancelamento"]) == (
        "saude",
        "Lesão no joelho",
    )
    assert api.get(f"/aluno/{newcomer['id']}").json()["codigo_motivo"] == "saude"
    assert alerts_of(api, newcomer["id"]) == []

    after = attrition_now(api)
    assert after["cancelamentos"] == before["cancelamentos"] + 1
    before_reasons, after_reasons = (
        {r["codigo_motivo"]: r["cancelamentos"] for r in month["por_motivo"]}
        for month in (before, after)
    )
    assert after_reasons["saude"] == before_reasons.get("saude", 0) + 1
    [plan] = [p for p in after["por_plano"] if p["plano"] == own_plan["codigo"]]
    assert plan["cancelamentos"] == 1

    # An older client's cancellation without any reason code is kept as nao_informado.
    old_client = register(api, own_plan, enrolled_days_ago=5)
    response = api.post(f"/aluno/{old_client['id']}/cancelamento", json={})
    assert response.status_code == 200, response.text
    assert response.json()["codigo_motivo"] == "nao_informado"
    final = {r["codigo_motivo"]: r["cancelamentos"] for r in attrition_now(api)["por_motivo"]}
    assert final["nao_informado"] >= 1
