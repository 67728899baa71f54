"""DELETE /aluno/{id}/dados-pessoais against the real processes (docs/personal-data.md): the
member shows placeholders, their attendance, risk answer and the daily report's figures are
unchanged, and the e-mail may register again.

Date owned by this module: 2025-07-21 (no other end-to-end test records visits then)."""

import time
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e_support import assert_error, unique_email

pytestmark = pytest.mark.e2e

GYM = ZoneInfo("America/Sao_Paulo")  # the stack runs with the default time zone
DAY = date(2025, 7, 21)


def local(hour: int, minute: int = 0) -> str:
    return datetime.combine(DAY, clock_time(hour, minute), tzinfo=GYM).isoformat()


def build_report(api: httpx.Client, after: str | None = None, within: float = 60.0) -> dict:
    """Queue DAY's report and wait until a build newer than ``after`` is stored."""
    queued = api.post("/relatorios/diarios", json={"data": DAY.isoformat()})
    assert queued.status_code == 202, queued.text
    deadline = time.monotonic() + within
    while True:
        response = api.get(f"/relatorios/diarios/{DAY.isoformat()}")
        if response.status_code == 200 and response.json()["gerado_em"] != after:
            return response.json()
        assert time.monotonic() < deadline, f"no new report of {DAY} within {within:g}s"
        time.sleep(0.2)


def without(report: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key not in fields}


def test_an_admin_erases_a_members_personal_data_and_the_attendance_stays(api, new_member):
    email = unique_email("titular")
    member = new_member(
        nome="Titular Com Dados",
        email=email,
        telefone="+55 (21) 97531-8642",
        data_nascimento="1958-04-11",
        data_matricula="2025-07-01T09:00:00-03:00",
    )
    for entered, exited in [(local(7), local(8, 10)), (local(18), local(19, 30))]:
        response = api.post(
            "/aluno/checkin",
            json={"aluno_id": member["id"], "data_entrada": entered, "data_saida": exited},
        )
        assert response.status_code == 201, response.text
    history = {"data_inicio": "2025-07-01", "data_fim": "2025-07-31"}
    attendance_before = api.get(f"/aluno/{member['id']}/frequencia", params=history).json()
    risk_before = api.get(f"/aluno/{member['id']}/risco-churn")
    report_before = build_report(api)
    assert report_before["visitas"] >= 2

    response = api.request(
        "DELETE", f"/aluno/{member['id']}/dados-pessoais", json={"motivo": "protocolo 7"}
    )
    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["nome"] == f"Titular removido #{member['id']}"
    assert erased["email"] == f"titular-removido-{member['id']}@dados-removidos.invalid"
    assert (erased["telefone"], erased["data_nascimento"]) == (None, None)
    assert erased["dados_removidos_em"] is not None
    assert without(
        erased, "nome", "email", "telefone", "data_nascimento", "dados_removidos_em"
    ) == (without(member, "nome", "email", "telefone", "data_nascimento", "dados_removidos_em")), (
        "plan, enrollment and membership stay"
    )
    assert api.get(f"/aluno/{member['id']}").json() == erased

    attendance_after = api.get(f"/aluno/{member['id']}/frequencia", params=history).json()
    assert attendance_after["total_checkins"] == attendance_before["total_checkins"] == 2
    assert attendance_after["checkins"] == attendance_before["checkins"]
    risk_after = api.get(f"/aluno/{member['id']}/risco-churn")
    assert risk_after.status_code == risk_before.status_code, risk_after.text
    if risk_after.status_code != 200:  # the session's stack trains no model
        assert risk_after.json()["erro"]["codigo"] == risk_before.json()["erro"]["codigo"]
    report_after = build_report(api, after=report_before["gerado_em"])
    assert without(report_after, "gerado_em") == without(report_before, "gerado_em")

    again = new_member(email=email)
    assert again["id"] != member["id"] and again["email"] == email
    found = api.get("/alunos", params={"q": email}).json()
    assert [m["id"] for m in found["itens"]] == [again["id"]]

    repeated = api.request("DELETE", f"/aluno/{member['id']}/dados-pessoais")
    assert repeated.status_code == 200, repeated.text
    assert repeated.json() == erased, "a second erasure answers the same"


def test_erasing_an_unknown_member_is_404(api):
    assert_error(api.request("DELETE", "/aluno/987654321/dados-pessoais"), 404, "MEMBER_NOT_FOUND")


def test_a_reason_too_long_is_422(api, new_member):
    member = new_member()
    response = api.request(
        "DELETE", f"/aluno/{member['id']}/dados-pessoais", json={"motivo": "x" * 501}
    )
    assert_error(response, 422, "VALIDATION_ERROR", "motivo")
    assert api.get(f"/aluno/{member['id']}").json()["dados_removidos_em"] is None
