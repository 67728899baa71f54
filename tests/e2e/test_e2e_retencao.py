"""Retention work through the real processes, in a stack of its own: a simulated gym seeded over
REST and a model trained by the retrain worker; the at-risk list with visit rates, contact status,
retention group and the day's capacity; a contact recorded (201, listed newest first, authored by
the caller's login), refused for a control member (409 CONTROL_GROUP) unless off-protocol; the
risk history; the effect report; and a cached list that shows the new contact status right
after the POST."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from e2e_stack import launch_stack
from e2e_support import assert_error, load_gym_with_model, poll

pytestmark = pytest.mark.e2e

STATUSES = {"controle", "sem_contato", "contatado", "retorno_agendado"}


@dataclass(frozen=True)
class Served:
    api: httpx.Client
    login: str


@pytest.fixture(scope="module")
def served(request, tmp_path_factory, rabbitmq_url) -> Iterator[Served]:
    with (
        launch_stack(
            request,
            tmp_path_factory.mktemp("retencao"),
            rabbitmq_url,
            model_poll_seconds="0.5",
            # one snapshot per model: the list stays cached unless a change bumps it
            risk_snapshot_seconds="600",
            retention_control_share="0.5",
            retention_daily_calls="7",
        ) as stack,
        stack.client(timeout=30) as api,
    ):
        # Every test needs members of both groups at band alto (control share 0.5): n members
        # there all land in one group with probability 2^(1-n), and a random gym of 150 members
        # can have 2. 300 members gave 1 to 19 at alto (8 runs); still not deterministic (the
        # closing note of 2026-11-25 says what is left to do).
        load_gym_with_model(api, members=300)
        yield Served(api, stack.admin_login)


def high_list(served: Served) -> httpx.Response:
    return served.api.get("/alunos/risco", params={"nivel_minimo": "alto", "tamanho": 200})


def drawn_list(served: Served) -> dict:
    """The list at band alto once its members have been drawn into their groups."""

    def drawn():
        body = high_list(served).json()
        groups = {item["grupo_retencao"] for item in body["itens"]}
        return body if body["itens"] and None not in groups and len(groups) == 2 else None

    return poll(drawn, 60, "the members at high risk drawn into control and contact")


@pytest.mark.timeout(300)
def test_the_list_shows_rates_statuses_groups_and_the_days_capacity(served):
    body = drawn_list(served)
    assert body["capacidade_diaria"] == 7
    items = body["itens"]
    probabilities = [item["probabilidade_churn"] for item in items]
    assert body["cancelamentos_esperados"] == pytest.approx(sum(probabilities), abs=1e-3)
    callable_ = [i["probabilidade_churn"] for i in items if i["grupo_retencao"] != "controle"]
    assert body["cancelamentos_esperados_na_capacidade"] == pytest.approx(
        sum(callable_[:7]), abs=1e-3
    )
    assert 0 < body["cobertura_capacidade"] <= 1
    for item in items:
        assert item["status_contato"] in STATUSES
        assert (item["status_contato"] == "controle") == (item["grupo_retencao"] == "controle")
        assert item["visitas_semana_recentes"] >= 0
        assert item["visitas_semana_habituais"] is None or item["visitas_semana_habituais"] >= 0
    wider = served.api.get(
        "/alunos/risco", params={"nivel_minimo": "alto", "tamanho": 200, "capacidade": 1000}
    ).json()
    assert wider["capacidade_diaria"] == 1000
    assert wider["cancelamentos_esperados_na_capacidade"] == pytest.approx(sum(callable_), abs=1e-3)
    tenured = served.api.get("/alunos/risco", params={"min_dias_matricula": 120, "tamanho": 200})
    assert tenured.status_code == 200, tenured.text
    assert all(item["dias_matricula"] >= 120 for item in tenured.json()["itens"])
    assert_error(
        served.api.get(
            "/alunos/risco", params={"min_dias_matricula": 90, "max_dias_matricula": 30}
        ),
        422,
        "INVALID_MIN_TENURE",
    )


@pytest.mark.timeout(300)
def test_a_contact_is_recorded_listed_and_shows_at_once_in_the_cached_list(served):
    body = drawn_list(served)
    member = next(i for i in body["itens"] if i["status_contato"] == "sem_contato")["aluno_id"]
    cached = poll(
        lambda: (r := high_list(served)).headers["x-cache"] == "hit" and r,
        30,
        "the at-risk list served from the cache",
    )
    assert (
        next(i for i in cached.json()["itens"] if i["aluno_id"] == member)["status_contato"]
        == "sem_contato"
    )

    created = served.api.post(
        f"/aluno/{member}/contatos",
        json={
            "canal": "whatsapp",
            "resultado": "retorno_agendado",
            "nota": "Pediu horários à noite",
            "proximo_passo": "Ligar com a grade noturna",
            "proximo_passo_em": date.today().isoformat(),
        },
    )
    assert created.status_code == 201, created.text
    contact = created.json()
    assert (contact["aluno_id"], contact["autor"], contact["canal"]) == (
        member,
        served.login,
        "whatsapp",
    )
    assert contact["fora_do_protocolo"] is False and contact["registrado_em"]

    after = high_list(served)
    listed = next(i for i in after.json()["itens"] if i["aluno_id"] == member)
    assert listed["status_contato"] == "retorno_agendado", after.headers["x-cache"]
    assert listed["ultimo_contato"] == contact["registrado_em"]

    second = served.api.post(
        f"/aluno/{member}/contatos", json={"canal": "telefone", "resultado": "conversou"}
    )
    assert second.status_code == 201, second.text
    log = served.api.get(f"/aluno/{member}/contatos").json()
    assert log["aluno_id"] == member
    assert [c["id"] for c in log["itens"]] == [second.json()["id"], contact["id"]]
    assert log["itens"][1]["nota"] == "Pediu horários à noite"


@pytest.mark.timeout(300)
def test_a_control_member_is_409_unless_off_protocol(served):
    body = drawn_list(served)
    member = next(i for i in body["itens"] if i["grupo_retencao"] == "controle")["aluno_id"]
    erro = assert_error(
        served.api.post(
            f"/aluno/{member}/contatos", json={"canal": "telefone", "resultado": "conversou"}
        ),
        409,
        "CONTROL_GROUP",
    )
    assert "grupo de controle" in erro["mensagem"]
    assert served.api.get(f"/aluno/{member}/contatos").json()["itens"] == []
    kept = served.api.post(
        f"/aluno/{member}/contatos",
        json={"canal": "telefone", "resultado": "conversou", "fora_do_protocolo": True},
    )
    assert kept.status_code == 201 and kept.json()["fora_do_protocolo"] is True


def test_bad_contacts_and_unknown_members(served):
    assert_error(
        served.api.post("/aluno/987654321/contatos", json={"canal": "sms", "resultado": "recusou"}),
        404,
        "MEMBER_NOT_FOUND",
    )
    assert_error(served.api.get("/aluno/987654321/contatos"), 404, "MEMBER_NOT_FOUND")
    assert_error(served.api.get("/aluno/987654321/risco-historico"), 404, "MEMBER_NOT_FOUND")
    member = drawn_list(served)["itens"][0]["aluno_id"]
    assert_error(
        served.api.post(f"/aluno/{member}/contatos", json={"canal": "pombo", "resultado": "x"}),
        422,
        "VALIDATION_ERROR",
    )


@pytest.mark.timeout(300)
def test_the_risk_history_and_the_effect_report(served):
    item = drawn_list(served)["itens"][0]
    history = served.api.get(f"/aluno/{item['aluno_id']}/risco-historico", params={"dias": 30})
    assert history.status_code == 200, history.text
    days = history.json()["itens"]
    assert days and days[-1]["versao_modelo"] == item["versao_modelo"]
    assert [d["dia"] for d in days] == sorted(d["dia"] for d in days)
    assert days[-1]["risco_nivel"] in {"baixo", "médio", "alto"}

    effect = served.api.get("/retencao/efeito")
    assert effect.status_code == 200, effect.text
    report = effect.json()
    # every member was drawn just now: their 30-day windows are all still open
    assert report["contato"]["membros"] == report["controle"]["membros"] == 0
    assert report["contato"]["em_acompanhamento"] + report["controle"]["em_acompanhamento"] > 0
    assert report["dias_acompanhamento"] == 30 and report["proporcao_controle"] == 0.5
    assert report["conclusao"].startswith("Ainda sem dados suficientes")
