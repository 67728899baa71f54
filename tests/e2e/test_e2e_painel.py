"""The retention workspace (/painel) in a real browser (the distribution's headless Chromium,
painel_browser.py) on the real processes, in a stack of its own with a simulated gym and a
trained model: staff log in, filter the at-risk list and open a member, record a contact; an
alert clears after a check-in; a member sees only their own page; a turnstile account cannot
log in. The last test shoots every page (`make screenshots` writes them into docs/images)."""

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_stack import launch_stack
from e2e_support import ago, load_gym_with_model, poll, unique_email
from painel_browser import Tab, chromium
from playwright.sync_api import Browser, expect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

PASSWORD = "uma senha bem longa"


@dataclass(frozen=True)
class Workspace:
    api: httpx.Client
    base_url: str
    browser: Browser
    logins: dict[str, str]  # role -> login (password PASSWORD)
    admin: tuple[str, str]  # the stack's first admin: login, password
    member_of_aluno: int


def create_user(api: httpx.Client, papel: str, **fields: Any) -> str:
    login = f"{papel}.{uuid.uuid4().hex[:8]}"
    body = {"login": login, "senha": PASSWORD, "papel": papel, **fields}
    response = api.post("/usuarios", json=body)
    assert response.status_code == 201, response.text
    return login


def at_risk(api: httpx.Client, **filters: Any) -> dict[str, Any]:
    response = api.get("/alunos/risco", params={"tamanho": 200, **filters})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def workspace(request, tmp_path_factory, rabbitmq_url) -> Iterator[Workspace]:
    with (
        launch_stack(
            request,
            tmp_path_factory.mktemp("painel"),
            rabbitmq_url,
            model_poll_seconds="0.5",
            risk_snapshot_seconds="2",
        ) as stack,
        stack.client(timeout=30) as api,
        chromium() as browser,
    ):
        load_gym_with_model(api)
        poll(lambda: at_risk(api)["total"], 60, "the at-risk list's first snapshot")
        member = at_risk(api)["itens"][-1]["aluno_id"]
        logins = {papel: create_user(api, papel) for papel in ("equipe", "catraca")}
        logins["aluno"] = create_user(api, "aluno", aluno_id=member)
        admin = (stack.admin_login, stack.admin_password)
        yield Workspace(api, stack.base_url, browser, logins, admin, member)


@pytest.fixture
def tab(workspace: Workspace) -> Iterator[Tab]:
    opened = Tab(workspace.browser, workspace.base_url)
    yield opened
    opened.close()


def staff_tab(tab: Tab, workspace: Workspace) -> Tab:
    tab.log_in(workspace.logins["equipe"], PASSWORD)
    tab.page.wait_for_url("**/painel/risco")
    return tab


def test_staff_filter_the_at_risk_list_and_open_a_member(tab, workspace):
    page = staff_tab(tab, workspace).page
    rows = page.locator("#lista tbody tr")
    expect(rows.first).to_be_visible()
    expect(rows.first.locator(".motivos li").first).not_to_be_empty()  # reasons in words
    listed = at_risk(workspace.api, nivel_minimo="alto")
    banner = page.locator("#capacidade")
    expect(banner).to_contain_text(f"{listed['total']} alunos nesta seleção")
    expect(banner).to_contain_text(f"A equipe liga para {listed['capacidade_diaria']} alunos")
    expect(rows.first.locator("td.numero")).to_contain_text(" / ")  # recent / usual rate
    page.fill("input[name=capacidade]", "3")
    page.click("#filtros button[type=submit]")
    expect(banner).to_contain_text("A equipe liga para 3 alunos por dia")

    page.select_option("select[name=nivel_minimo]", "")
    page.select_option("select[name=matricula]", "0-90")
    page.click("#filtros button[type=submit]")
    expected = at_risk(workspace.api, max_dias_matricula=90)
    expect(page.locator("#capacidade")).to_contain_text(f"{expected['total']} alunos nesta seleção")
    assert "matricula=0-90" in page.url
    for tenure in rows.locator("small").all_inner_texts():
        assert int(re.search(r"(\d+) dias de matrícula", tenure).group(1)) <= 90, tenure

    first = expected["itens"][0] if expected["itens"] else at_risk(workspace.api)["itens"][0]
    tab.open(f"/painel/aluno/{first['aluno_id']}")
    visits = workspace.api.get(f"/aluno/{first['aluno_id']}/frequencia").json()
    expect(page.locator("#titulo")).to_have_text(first["nome"])
    renewal = date.fromisoformat(
        workspace.api.get(f"/aluno/{first['aluno_id']}").json()["proxima_renovacao"]
    )
    expect(page.locator("#dados dt:text-is('Renovação') + dd")).to_contain_text(
        f"{renewal:%d/%m/%Y} ("
    )
    expect(page.locator("#fatores li").first).not_to_be_empty()
    assert page.locator("#grafico-semanas").evaluate("c => c.tagName") == "CANVAS"
    if visits["total_checkins"]:
        expect(page.locator("#visitas tbody tr").first).to_be_visible()


def test_staff_record_a_contact(tab, workspace):
    page = staff_tab(tab, workspace).page
    listed = at_risk(workspace.api)["itens"]
    member = next(m for m in listed if m.get("grupo_retencao") != "controle")
    tab.open(f"/painel/aluno/{member['aluno_id']}")
    note = f"Conversa {uuid.uuid4().hex[:6]}: volta na segunda"
    page.select_option("select[name=canal]", "whatsapp")
    page.select_option("select[name=resultado]", "retorno_agendado")
    page.fill("input[name=nota]", note)
    page.fill("input[name=proximo_passo]", "Ligar depois do treino")
    page.fill("input[name=proximo_passo_em]", (date.today() + timedelta(days=3)).isoformat())
    page.click("#novo-contato button[type=submit]")
    expect(page.locator("#contato-mensagem")).to_have_text("Contato registrado.")
    expect(page.locator("#contatos tbody tr").first).to_contain_text(note)
    stored = workspace.api.get(f"/aluno/{member['aluno_id']}/contatos").json()["itens"][0]
    assert (stored["nota"], stored["canal"], stored["autor"]) == (
        note,
        "whatsapp",
        workspace.logins["equipe"],
    )


def test_an_alert_clears_after_a_check_in(tab, workspace):
    plan = workspace.api.get("/planos").json()[0]["id"]
    body = {"nome": "Paula Nogueira", "email": unique_email(), "plano_id": plan}
    joined = workspace.api.post("/aluno/registro", json={**body, "data_matricula": ago(days=20)})
    assert joined.status_code == 201, joined.text
    member_id = joined.json()["id"]
    page = staff_tab(tab, workspace).page
    tab.open(f"/painel/aluno/{member_id}")
    expect(page.locator("#alertas li[data-tipo=sem_visita_inicial]")).to_be_visible()
    tab.open("/painel/alertas")
    page.select_option("select[name=tipo]", "sem_visita_inicial")
    page.click("#filtros button[type=submit]")
    expect(page.locator(f"#lista tr[data-aluno='{member_id}']")).to_be_visible()

    checkin = workspace.api.post("/aluno/checkin", json={"aluno_id": member_id})
    assert checkin.status_code == 201, checkin.text
    tab.open(f"/painel/aluno/{member_id}")
    expect(page.locator("#alertas[data-carregado]")).to_be_visible()
    expect(page.locator("#alertas li[data-tipo=sem_visita_inicial]")).to_have_count(0)
    assert "indisponível" not in page.locator("#alertas").inner_text().lower()


def test_staff_change_the_alert_thresholds(tab, workspace):
    before = workspace.api.get("/alertas/limites").json()
    page = staff_tab(tab, workspace).page
    tab.open("/painel/alertas")
    field = page.locator("input[name=estagios_inatividade_dias]")
    expect(field).to_have_value(", ".join(map(str, before["estagios_inatividade_dias"])))
    try:
        field.fill("14, 7")
        page.click("#limites button[type=submit]")
        expect(page.locator("#limites-estado")).to_contain_text("strictly increasing")
        field.fill("10, 20, 40")
        page.click("#limites button[type=submit]")
        expect(page.locator("#limites-estado")).to_contain_text(workspace.logins["equipe"])
        stored = workspace.api.get("/alertas/limites").json()
        assert stored["estagios_inatividade_dias"] == [10, 20, 40]
        assert stored["alterado_por"] == workspace.logins["equipe"]
    finally:
        keys = ("dias_sem_visita_inicial", "visitas_minimas_mes", "dias_periodo_inicial")
        restore = {key: before[key] for key in (*keys, "estagios_inatividade_dias")}
        assert workspace.api.put("/alertas/limites", json=restore).status_code == 200


def test_a_member_sees_only_their_own_page(tab, workspace):
    own = workspace.member_of_aluno
    page = tab.log_in(workspace.logins["aluno"], PASSWORD)
    page.wait_for_url(f"**/painel/aluno/{own}")
    name = workspace.api.get(f"/aluno/{own}").json()["nome"]
    expect(page.locator("#titulo")).to_have_text(name)
    expect(page.locator("#secao-contatos")).to_be_hidden()
    for link in page.locator("#menu a").all():
        expect(link).to_be_hidden()
    other = next(m["aluno_id"] for m in at_risk(workspace.api)["itens"] if m["aluno_id"] != own)
    for path in ("/painel/risco", f"/painel/aluno/{other}", "/painel/modelo"):
        tab.open(path)
        page.wait_for_url(f"**/painel/aluno/{own}")


def test_only_admins_get_the_model_actions(tab, workspace):
    page = staff_tab(tab, workspace).page
    tab.open("/painel/modelo")
    serving = workspace.api.get("/modelo").json()["versao"]
    expect(page.locator(f"#versoes tr[data-versao='{serving}']")).to_contain_text("em produção")
    expect(page.locator("#rollback")).to_be_hidden()
    expect(page.locator("#versoes button")).to_have_count(0)
    page.click("#sair")
    tab.log_in(*workspace.admin)
    page.wait_for_url("**/painel/risco")
    tab.open("/painel/modelo")
    expect(page.locator("#rollback")).to_be_visible()


def test_a_turnstile_account_cannot_log_in(tab, workspace):
    page = tab.log_in(workspace.logins["catraca"], PASSWORD)
    expect(page.locator("#mensagem")).to_contain_text("catraca")
    assert page.url.endswith("/painel/login")
    assert tab.session() is None


def test_without_a_valid_session_the_pages_go_to_the_login(tab, workspace):
    page = tab.open("/painel/risco")
    page.wait_for_url("**/painel/login?voltar=%2Fpainel%2Frisco")
    forged = '{"token": "forjado", "papel": "admin", "expira_em": 9e15}'
    page.evaluate(f"sessionStorage.setItem('frequenta.sessao', '{forged}')")
    tab.open("/painel/modelo")
    page.wait_for_url("**/painel/login?voltar=%2Fpainel%2Fmodelo")  # the API answered 401
    assert tab.session() is None


def test_screenshots_of_every_page(tab, workspace, tmp_path):
    """Every page with data, shot; into docs/images with FREQUENTA_SCREENSHOTS_DIR set."""
    folder = Path(os.environ.get("FREQUENTA_SCREENSHOTS_DIR") or tmp_path)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    queued = workspace.api.post("/relatorios/diarios", json={"data": yesterday})
    assert queued.status_code == 202, queued.text
    poll(
        lambda: workspace.api.get(f"/relatorios/diarios/{yesterday}").status_code == 200,
        60,
        "yesterday's report",
    )
    tab.open("/painel/login").screenshot(path=folder / "painel-login.png")
    tab.log_in(*workspace.admin)
    tab.page.wait_for_url("**/painel/risco")
    top = at_risk(workspace.api)["itens"][0]["aluno_id"]
    pages = {
        "risco": "/painel/risco",
        "aluno": f"/painel/aluno/{top}",
        "alertas": "/painel/alertas",
        "relatorios": f"/painel/relatorios?data={yesterday}",
        "resultados": "/painel/resultados",
        "modelo": "/painel/modelo",
    }
    for name, path in pages.items():
        page = tab.open(path)
        expect(page.locator("#titulo")).not_to_be_empty()
        if name == "resultados":  # the effect with its interval, from the API's figures
            expect(page.locator("#diferenca")).to_contain_text("intervalo de confiança de 95%")
            expect(page.locator("#diferenca")).not_to_contain_text("—")
        page.screenshot(path=folder / f"painel-{name}.png", full_page=True)
        assert (folder / f"painel-{name}.png").stat().st_size > 10_000
