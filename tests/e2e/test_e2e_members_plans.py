"""Member lookup, listing and cancellation; plans."""

import uuid

import pytest
from e2e_support import ago, assert_error, parse, unique_email

pytestmark = pytest.mark.e2e


def test_member_lookup(api, new_member):
    member = new_member()
    response = api.get(f"/aluno/{member['id']}")
    assert response.status_code == 200
    assert response.json() == member


def test_unknown_member_lookup_is_404(api):
    assert_error(api.get("/aluno/987654321"), 404, "MEMBER_NOT_FOUND", "aluno_id")


def test_listing_finds_a_member_by_email_and_plan(api, new_member, plan):
    email = unique_email("busca")
    member = new_member(email=email)
    response = api.get("/alunos", params={"q": email.split("@")[0], "plano_id": plan["id"]})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == 1
    assert [m["id"] for m in page["itens"]] == [member["id"]]
    assert (page["pagina"], page["tamanho"]) == (1, 50)


def test_listing_page_size_too_big_is_422(api):
    assert_error(api.get("/alunos", params={"tamanho": 500}), 422, "VALIDATION_ERROR", "tamanho")


def test_cancellation_flow(api, new_member):
    member = new_member(data_matricula=ago(days=30))
    response = api.post(
        f"/aluno/{member['id']}/cancelamento",
        json={
            "motivo": "falta_de_tempo",
            "observacao": "mudou de turno",
            "data_cancelamento": ago(days=1),
        },
    )
    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["ativo"] is False
    assert cancelled["motivo_cancelamento"] == "falta_de_tempo"
    assert cancelled["observacao_cancelamento"] == "mudou de turno"
    assert parse(cancelled["data_cancelamento"]) < parse(ago(hours=23))

    listed = api.get("/alunos", params={"q": member["email"], "status": "cancelados"}).json()
    assert [m["id"] for m in listed["itens"]] == [member["id"]]
    active = api.get("/alunos", params={"q": member["email"], "status": "ativos"}).json()
    assert active["total"] == 0

    again = api.post(f"/aluno/{member['id']}/cancelamento", json={"motivo": "outro"})
    assert_error(again, 409, "ALREADY_CANCELLED")
    entry = api.post("/aluno/checkin", json={"aluno_id": member["id"]})
    assert_error(entry, 409, "MEMBERSHIP_CANCELLED", "data_entrada")
    before = api.post(
        "/aluno/checkin",
        json={
            "aluno_id": member["id"],
            "data_entrada": ago(days=2, hours=1),
            "data_saida": ago(days=2),
        },
    )
    assert before.status_code == 201, before.text  # history before the cancellation is accepted


def test_cancellation_before_enrollment_is_422(api, new_member):
    member = new_member(data_matricula=ago(days=2))
    response = api.post(
        f"/aluno/{member['id']}/cancelamento",
        json={"motivo": "preco", "data_cancelamento": ago(days=3)},
    )
    assert_error(response, 422, "CANCELLATION_BEFORE_ENROLLMENT", "data_cancelamento")


@pytest.mark.parametrize(
    ("sent", "campo"),
    [
        ({"codigo_motivo": "caro"}, "codigo_motivo"),
        ({"motivo": "caro", "observacao": "caro demais"}, "observacao"),
        ({"motivo": "preco", "nota": "x"}, "nota"),
    ],
)
def test_bad_cancellations_are_422(api, new_member, sent, campo):
    member = new_member()
    response = api.post(f"/aluno/{member['id']}/cancelamento", json=sent)
    assert_error(response, 422, "VALIDATION_ERROR", campo)


def test_cancelling_an_unknown_member_is_404(api):
    assert_error(
        api.post("/aluno/987654321/cancelamento", json={"motivo": "outro"}),
        404,
        "MEMBER_NOT_FOUND",
        "aluno_id",
    )


def test_plans_list_includes_the_default_and_new_plans(api, plan):
    response = api.get("/planos")
    assert response.status_code == 200
    plans = response.json()
    assert plan in plans
    assert all(p["ativo"] for p in plans)
    assert all(isinstance(p["preco"], int | float) for p in plans)
    assert api.get("/planos", params={"incluir_inativos": True}).status_code == 200


def test_create_plan_and_a_taken_code(api):
    code = f"e2e-{uuid.uuid4().hex[:8]}"
    sent = {"codigo": code, "nome": "Plano Semestral E2E", "duracao_meses": 6, "preco": 599.9}
    response = api.post("/planos", json=sent)
    assert response.status_code == 201, response.text
    created = response.json()
    assert {k: created[k] for k in sent} == sent
    assert created["ativo"] is True
    assert_error(api.post("/planos", json=sent), 409, "PLAN_CODE_ALREADY_EXISTS", "codigo")


def test_bad_plans_are_422(api):
    sent = {"codigo": "x-y", "nome": "Plano", "duracao_meses": 1, "preco": "100"}
    assert_error(api.post("/planos", json=sent), 422, "VALIDATION_ERROR", "preco")
