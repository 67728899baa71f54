"""Attendance, churn risk and plans through the app, with fake stubs."""

import grpc
import pytest
from gateway_fakes import FakeStub, bare_rpc_error, rpc_error
from gateway_protos import PLAN, attendance_reply, churn_reply, member, ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_kit.errors import AlreadyExists, Conflict, InvalidInput, NotFound, Unavailable


def erro(response) -> dict:
    return response.json()["erro"]


def campos(response) -> list[str]:
    return [detail["campo"] for detail in erro(response)["detalhes"]]


async def test_attendance(client, attendance: FakeStub):
    attendance.answer("GetAttendance", attendance_reply(42))
    response = await client.get(
        "/aluno/42/frequencia",
        params={"data_inicio": "2024-12-16", "data_fim": "2025-03-12", "pagina": 1, "tamanho": 10},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["aluno_id"] == 42
    assert data["periodo"] == {"data_inicio": "2024-12-16", "data_fim": "2025-03-12"}
    assert data["paginacao"] == {"pagina": 1, "tamanho": 10, "total": 1}
    assert data["serie_semanal"] == [{"semana_inicio": "2025-03-10", "checkins": 1}]
    (sent,) = attendance.requests("GetAttendance")
    assert (sent.member_id, sent.from_date, sent.to_date, sent.page, sent.page_size) == (
        42,
        "2024-12-16",
        "2025-03-12",
        1,
        10,
    )


@pytest.mark.parametrize(
    ("params", "campo"),
    [
        ({"tamanho": 201}, "tamanho"),
        ({"pagina": 0}, "pagina"),
        ({"data_inicio": "12/03/2025"}, "data_inicio"),
        ({"data_fim": "2025-02-30"}, "data_fim"),
    ],
)
async def test_attendance_refuses_bad_queries(client, attendance, params, campo):
    response = await client.get("/aluno/42/frequencia", params=params)
    assert response.status_code == 422
    assert erro(response)["codigo"] == "VALIDATION_ERROR"
    assert campos(response) == [campo]
    assert attendance.calls == []


async def test_attendance_of_an_unknown_member(client, attendance):
    attendance.answer(
        "GetAttendance",
        rpc_error(NotFound("MEMBER_NOT_FOUND", "no member with id 9", field="member_id")),
    )
    response = await client.get("/aluno/9/frequencia")
    assert response.status_code == 404
    assert erro(response)["codigo"] == "MEMBER_NOT_FOUND"


async def test_attendance_range_refused_by_the_service(client, attendance):
    attendance.answer(
        "GetAttendance",
        rpc_error(InvalidInput("VALIDATION_ERROR", "from after to", field="from_date")),
    )
    response = await client.get(
        "/aluno/9/frequencia", params={"data_inicio": "2025-03-01", "data_fim": "2025-01-01"}
    )
    assert response.status_code == 422
    assert campos(response) == ["data_inicio"]


async def test_churn_risk(client, attendance, churn: FakeStub):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer("GetChurnRisk", churn_reply(42))
    response = await client.get("/aluno/42/risco-churn")
    assert response.status_code == 200
    data = response.json()
    assert (data["aluno_id"], data["probabilidade_churn"], data["risco_nivel"]) == (
        42,
        0.81,
        "alto",
    )
    assert data["fatores_risco"][0] == {
        "fator": "ausencia",
        "atributo": "days_since_last_visit",
        "valor": 21.0,
        "direcao": "aumenta",
        "peso": 0.9,
        "descricao": "21 dias sem vir à academia; o intervalo habitual é de 3 dias",
    }
    assert data["fatores_risco"][1]["fator"] == "plano_renovacao"
    assert (data["versao_modelo"], data["horizonte_dias"]) == ("v1", 30)
    assert (data["plano"], data["dias_matricula"], data["historico_limitado"]) == (
        "mensal",
        65,
        False,
    )
    assert data["ultimo_checkin"] == "2025-02-19T10:15:00Z"
    assert data["calculado_em"] == "2025-03-12T15:00:00Z"
    assert churn.requests("GetChurnRisk")[0].member_id == 42
    assert churn.calls[0].timeout == attendance.calls[0].timeout == 2.5


async def test_churn_risk_without_a_model_is_503_with_retry_after(client, attendance, churn):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer("GetChurnRisk", rpc_error(Unavailable("NO_MODEL", "No churn model yet.")))
    response = await client.get("/aluno/42/risco-churn")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert erro(response) == {
        "codigo": "NO_MODEL",
        "mensagem": "No churn model yet.",
        "detalhes": [],
    }


async def test_churn_risk_of_a_member_attendance_does_not_know_is_its_404(
    client, attendance, churn
):
    attendance.answer(
        "GetMember",
        rpc_error(NotFound("MEMBER_NOT_FOUND", "no member with id 9", field="member_id")),
    )
    churn.answer("GetChurnRisk", rpc_error(Unavailable("NO_MODEL", "No churn model yet.")))
    response = await client.get("/aluno/9/risco-churn")
    assert response.status_code == 404
    assert erro(response)["mensagem"] == "no member with id 9"


async def test_churn_risk_of_a_member_churn_does_not_know_yet_is_404_saying_so(
    client, attendance, churn
):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    lag = "Churn does not know member 42 yet; its projection has not caught up: retry shortly."
    churn.answer("GetChurnRisk", rpc_error(NotFound("MEMBER_NOT_FOUND", lag, field="member_id")))
    response = await client.get("/aluno/42/risco-churn")
    assert response.status_code == 404
    assert erro(response)["codigo"] == "MEMBER_NOT_FOUND" and "retry" in erro(response)["mensagem"]


async def test_churn_timeout_is_504(client, attendance, churn):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer("GetChurnRisk", bare_rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline"))
    response = await client.get("/aluno/42/risco-churn")
    assert response.status_code == 504
    assert erro(response)["codigo"] == "UPSTREAM_TIMEOUT"


async def test_churn_risk_of_a_cancelled_member(client, attendance, churn):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(42)))
    churn.answer("GetChurnRisk", rpc_error(Conflict("MEMBERSHIP_CANCELLED", "cancelled")))
    response = await client.get("/aluno/42/risco-churn")
    assert response.status_code == 409
    assert erro(response)["codigo"] == "MEMBERSHIP_CANCELLED"


async def test_a_cancellation_churn_has_not_applied_yet_is_still_409(client, attendance, churn):
    cancelled = member(42, active=False, cancelled_at=ts("2025-03-01T02:00:00Z"))
    attendance.answer("GetMember", pb.GetMemberResponse(member=cancelled))
    churn.answer("GetChurnRisk", churn_reply(42))  # the projection lags: still scored
    response = await client.get("/aluno/42/risco-churn")
    assert response.status_code == 409
    body = erro(response)
    assert body["codigo"] == "MEMBERSHIP_CANCELLED"
    assert "cancelled on 2025-02-28" in body["mensagem"]  # the gym's local date
    assert body["detalhes"][0]["campo"] == "aluno_id"


async def test_list_plans(client, attendance):
    attendance.answer("ListPlans", pb.ListPlansResponse(plans=[PLAN]))
    response = await client.get("/planos", params={"incluir_inativos": "true"})
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": 1,
            "codigo": "mensal",
            "nome": "Plano Mensal",
            "duracao_meses": 1,
            "preco": 119.9,
            "ativo": True,
        }
    ]
    assert attendance.requests("ListPlans")[0].include_inactive is True


async def test_list_plans_refuses_a_non_boolean(client, attendance):
    response = await client.get("/planos", params={"incluir_inativos": "talvez"})
    assert response.status_code == 422
    assert campos(response) == ["incluir_inativos"]


async def test_create_plan(client, attendance):
    created = pb.Plan(
        id=5, code="trimestral-promo", name="Tri", duration_months=3, price_cents=29990, active=True
    )
    attendance.answer("CreatePlan", pb.CreatePlanResponse(plan=created))
    response = await client.post(
        "/planos",
        json={"codigo": "trimestral-promo", "nome": "Tri", "duracao_meses": 3, "preco": 299.9},
    )
    assert response.status_code == 201
    assert response.json()["preco"] == 299.9
    (sent,) = attendance.requests("CreatePlan")
    assert (sent.code, sent.duration_months, sent.price_cents) == ("trimestral-promo", 3, 29990)


@pytest.mark.parametrize(
    ("change", "campo"),
    [
        ({"preco": "299.90"}, "preco"),
        ({"preco": 1.234}, "preco"),
        ({"preco": -1}, "preco"),
        ({"preco": True}, "preco"),
        ({"duracao_meses": "3"}, "duracao_meses"),
        ({"ativo": True}, "ativo"),
    ],
)
async def test_create_plan_refuses_bad_bodies(client, attendance, change, campo):
    body = {"codigo": "tri", "nome": "Tri", "duracao_meses": 3, "preco": 299.9} | change
    response = await client.post("/planos", json=body)
    assert response.status_code == 422
    assert campos(response) == [campo]
    assert attendance.calls == []


async def test_create_plan_with_a_taken_code(client, attendance):
    attendance.answer(
        "CreatePlan", rpc_error(AlreadyExists("PLAN_CODE_ALREADY_EXISTS", "taken", field="code"))
    )
    response = await client.post(
        "/planos", json={"codigo": "mensal", "nome": "M", "duracao_meses": 1, "preco": 1}
    )
    assert response.status_code == 409
    assert campos(response) == ["codigo"]
