"""Alerts and outcome reports through the app, with fake stubs: REST <-> gRPC mapping, the
caller's login on a change of thresholds, and bad input refused before any call."""

import pytest
from gateway_fakes import FakeStub, bearer
from gateway_protos import ts

from frequenta.attendance.v1 import retention_pb2 as rpb
from frequenta_gateway.auth.principal import Role

THRESHOLDS = {
    "dias_sem_visita_inicial": 10,
    "visitas_minimas_mes": 3,
    "dias_periodo_inicial": 60,
    "estagios_inatividade_dias": [5, 10, 20],
}


def campos(response) -> list[str]:
    return [detail["campo"] for detail in response.json()["erro"]["detalhes"]]


def inactivity_alert(member_id: int) -> rpb.Alert:
    return rpb.Alert(
        member_id=member_id,
        member_name="Ana",
        plan_code="mensal",
        kind=rpb.ALERT_KIND_INACTIVITY,
        stage_days=14,
        opened_at=ts("2025-03-20T03:00:00Z"),
        description="16 dias sem visitar a academia (estágio de 14 dias).",
        days_without_visit=16,
        last_visit_at=ts("2025-03-06T10:12:00Z"),
    )


async def test_alerts_page_maps_every_field_and_the_filter(client, attendance: FakeStub):
    never = rpb.Alert(
        member_id=8,
        member_name="Rui",
        plan_code="anual",
        kind=rpb.ALERT_KIND_NO_FIRST_VISIT,
        opened_at=ts("2025-03-01T03:00:00Z"),
        description="x",
        days_without_visit=20,
    )
    reply = rpb.ListAlertsResponse(alerts=[never, inactivity_alert(7)], total=12)
    attendance.answer("ListAlerts", reply)
    response = await client.get(
        "/alertas", params={"tipo": "inatividade", "pagina": 2, "tamanho": 2}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["total"], data["pagina"], data["tamanho"]) == (12, 2, 2)
    first, second = data["itens"]
    assert first["tipo"] == "sem_visita_inicial"
    assert first["estagio"] is None and first["ultimo_checkin"] is None
    assert second == {
        "aluno_id": 7,
        "nome": "Ana",
        "plano": "mensal",
        "tipo": "inatividade",
        "estagio": 14,
        "aberto_em": "2025-03-20T03:00:00Z",
        "descricao": "16 dias sem visitar a academia (estágio de 14 dias).",
        "dias_sem_visita": 16,
        "ultimo_checkin": "2025-03-06T10:12:00Z",
        "mes_inicial": None,
        "visitas_mes_inicial": None,
    }
    (sent,) = attendance.requests("ListAlerts")
    assert (sent.kind, sent.page, sent.page_size) == (rpb.ALERT_KIND_INACTIVITY, 2, 2)


async def test_a_member_reads_their_own_alerts(anonymous, settings, attendance: FakeStub):
    attendance.answer(
        "ListMemberAlerts", rpb.ListMemberAlertsResponse(alerts=[inactivity_alert(7)])
    )
    response = await anonymous.get("/aluno/7/alertas", headers=bearer(settings, Role.ALUNO, 7))
    assert response.status_code == 200, response.text
    assert response.json()["aluno_id"] == 7
    assert [item["estagio"] for item in response.json()["itens"]] == [14]
    (sent,) = attendance.requests("ListMemberAlerts")
    assert sent.member_id == 7


async def test_new_thresholds_carry_the_callers_login(anonymous, settings, attendance: FakeStub):
    stored = rpb.AlertThresholds(
        days_without_first_visit=10,
        min_visits_per_month=3,
        early_period_days=60,
        inactivity_stages_days=[5, 10, 20],
        changed_by="test-equipe",
        changed_at=ts("2025-03-20T14:00:00Z"),
    )
    attendance.answer("UpdateAlertThresholds", rpb.UpdateAlertThresholdsResponse(thresholds=stored))
    response = await anonymous.put(
        "/alertas/limites", json=THRESHOLDS, headers=bearer(settings, Role.EQUIPE)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        **THRESHOLDS,
        "alterado_por": "test-equipe",
        "alterado_em": "2025-03-20T14:00:00Z",
    }
    (sent,) = attendance.requests("UpdateAlertThresholds")
    assert sent.changed_by == "test-equipe"
    assert list(sent.thresholds.inactivity_stages_days) == [5, 10, 20]
    assert sent.thresholds.early_period_days == 60


async def test_default_thresholds_have_no_author(client, attendance: FakeStub):
    defaults = rpb.AlertThresholds(
        days_without_first_visit=14,
        min_visits_per_month=4,
        early_period_days=90,
        inactivity_stages_days=[7, 14, 30],
    )
    attendance.answer("GetAlertThresholds", rpb.GetAlertThresholdsResponse(thresholds=defaults))
    response = await client.get("/alertas/limites")
    assert response.status_code == 200
    assert (response.json()["alterado_por"], response.json()["alterado_em"]) == (None, None)


@pytest.mark.parametrize(
    ("change", "campo", "words"),
    [
        (
            {"estagios_inatividade_dias": [14, 7]},
            "estagios_inatividade_dias",
            "strictly increasing",
        ),
        ({"estagios_inatividade_dias": [7, 7]}, "estagios_inatividade_dias", "strictly increasing"),
        ({"estagios_inatividade_dias": []}, "estagios_inatividade_dias", "at least 1"),
        ({"estagios_inatividade_dias": [7, 400]}, "estagios_inatividade_dias[1]", "365"),
        ({"estagios_inatividade_dias": ["7"]}, "estagios_inatividade_dias[0]", "integer"),
        ({"dias_sem_visita_inicial": 0}, "dias_sem_visita_inicial", "1"),
        ({"visitas_minimas_mes": 32}, "visitas_minimas_mes", "31"),
        ({"dias_periodo_inicial": 20}, "dias_periodo_inicial", "30"),
        ({"extra": 1}, "extra", ""),
    ],
)
async def test_bad_thresholds_are_refused_before_any_call(
    client, attendance: FakeStub, change, campo, words
):
    response = await client.put("/alertas/limites", json={**THRESHOLDS, **change})
    assert response.status_code == 422
    assert response.json()["erro"]["codigo"] == "VALIDATION_ERROR"
    assert campos(response) == [campo]
    assert words in response.json()["erro"]["detalhes"][0]["mensagem"]
    assert attendance.calls == []


async def test_cohorts_map_unreached_months_to_null(client, attendance: FakeStub):
    reply = rpb.GetCohortReportResponse(
        months=3,
        cohorts=[
            rpb.Cohort(join_month="2025-01", members=5, retained=[0.8, 0.6, -1]),
            rpb.Cohort(join_month="2025-01", plan_code="mensal", members=3, retained=[1, 0.5, -1]),
        ],
    )
    attendance.answer("GetCohortReport", reply)
    response = await client.get("/relatorios/coortes", params={"meses": 3})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "meses": 3,
        "coortes": [
            {"mes_entrada": "2025-01", "plano": None, "membros": 5, "retidos": [0.8, 0.6, None]},
            {"mes_entrada": "2025-01", "plano": "mensal", "membros": 3, "retidos": [1, 0.5, None]},
        ],
    }
    assert attendance.requests("GetCohortReport")[0].months == 3


async def test_attrition_maps_plans_and_reasons(client, attendance: FakeStub):
    month = rpb.MonthAttrition(
        month="2025-03",
        active_at_start=10,
        cancellations=2,
        new_members=1,
        attrition_rate=0.2,
        by_plan=[rpb.PlanAttrition(plan_code="mensal", active_at_start=0, cancellations=0)],
        by_reason=[rpb.ReasonCount(reason_code="nao_informado", cancellations=2)],
    )
    attendance.answer("GetAttritionReport", rpb.GetAttritionReportResponse(months=[month]))
    response = await client.get("/relatorios/atrito")
    assert response.status_code == 200, response.text
    [data] = response.json()["meses"]
    assert (data["mes"], data["taxa_atrito"], data["novos_alunos"]) == ("2025-03", 0.2, 1)
    assert data["por_plano"] == [
        {"plano": "mensal", "ativos_inicio": 0, "cancelamentos": 0, "taxa_atrito": None}
    ]
    assert data["por_motivo"] == [{"codigo_motivo": "nao_informado", "cancelamentos": 2}]
    assert attendance.requests("GetAttritionReport")[0].months == 12


async def test_trend_passes_the_date_and_weeks(client, attendance: FakeStub):
    week = rpb.TrendPeriod(
        first_date="2025-03-17", last_date="2025-03-19", visits=3, unique_members=2
    )
    reply = rpb.GetWeeklyTrendResponse(weeks=[week], same_weekday=[week], until_date="2025-03-19")
    attendance.answer("GetWeeklyTrend", reply)
    response = await client.get("/relatorios/tendencia", params={"ate": "2025-03-19", "semanas": 1})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["ate"] == "2025-03-19"
    assert data["semanas"][0]["media_duracao_minutos"] is None
    (sent,) = attendance.requests("GetWeeklyTrend")
    assert (sent.until_date, sent.weeks) == ("2025-03-19", 1)


@pytest.mark.parametrize(
    ("path", "params", "campo"),
    [
        ("/relatorios/coortes", {"meses": 0}, "meses"),
        ("/relatorios/atrito", {"meses": 37}, "meses"),
        ("/relatorios/tendencia", {"semanas": 53}, "semanas"),
        ("/relatorios/tendencia", {"ate": "19/03/2025"}, "ate"),
        ("/alertas", {"tipo": "sumido"}, "tipo"),
        ("/alertas", {"tamanho": 201}, "tamanho"),
    ],
)
async def test_bad_queries_are_refused_before_any_call(client, attendance, path, params, campo):
    response = await client.get(path, params=params)
    assert response.status_code == 422
    assert campos(response) == [campo]
    assert attendance.calls == []
