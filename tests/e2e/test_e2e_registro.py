"""POST /aluno/registro against the real processes."""

import pytest
from e2e_support import ago, assert_error, now, parse, unique_email

pytestmark = pytest.mark.e2e


def body(plan, **changes):
    return {"nome": "Ana Souza", "email": unique_email("ana"), "plano_id": plan["id"], **changes}


def test_register_returns_201_the_member_with_its_plan_and_location(api, plan):
    sent = body(plan, telefone="+55 11 91234-5678", data_nascimento="1994-07-21")
    response = api.post("/aluno/registro", json=sent)
    assert response.status_code == 201, response.text
    member = response.json()
    assert response.headers["location"] == f"/aluno/{member['id']}"
    assert member["nome"] == "Ana Souza"
    assert member["email"].lower() == sent["email"].lower()
    assert member["telefone"] == "+55 11 91234-5678"
    assert member["data_nascimento"] == "1994-07-21"
    assert member["plano_id"] == plan["id"]
    assert member["plano"] == plan
    assert member["ativo"] is True
    assert abs((parse(member["data_matricula"]) - now()).total_seconds()) < 60
    assert member["data_cancelamento"] is None
    assert member["motivo_cancelamento"] is None
    assert api.get(response.headers["location"]).json() == member


def test_register_with_a_past_enrollment_keeps_it(api, plan):
    enrolled = ago(days=400)
    response = api.post("/aluno/registro", json=body(plan, data_matricula=enrolled))
    assert response.status_code == 201, response.text
    assert parse(response.json()["data_matricula"]) == parse(enrolled)


def test_duplicate_email_in_another_case_is_409(api, plan):
    email = unique_email("Dup.Case")
    assert api.post("/aluno/registro", json=body(plan, email=email)).status_code == 201
    response = api.post("/aluno/registro", json=body(plan, email=email.upper()))
    assert_error(response, 409, "EMAIL_ALREADY_REGISTERED", "email")


def test_unknown_plan_is_404(api, plan):
    response = api.post("/aluno/registro", json=body(plan, plano_id=999_999_999))
    assert_error(response, 404, "PLAN_NOT_FOUND", "plano_id")


def test_malformed_json_is_422(api):
    response = api.post(
        "/aluno/registro",
        content=b'{"nome": "Ana", "email": ',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 422, "VALIDATION_ERROR", "corpo")


@pytest.mark.parametrize(
    ("changes", "campo"),
    [
        ({"plano_id": "1"}, "plano_id"),
        ({"plano_id": True}, "plano_id"),
        ({"nome": 5}, "nome"),
        ({"email": "ana-at-example.com"}, "email"),
        ({"data_nascimento": "21/07/1994"}, "data_nascimento"),
    ],
)
def test_wrong_types_are_422(api, plan, changes, campo):
    response = api.post("/aluno/registro", json=body(plan, **changes))
    assert_error(response, 422, "VALIDATION_ERROR", campo)


@pytest.mark.parametrize("missing", ["nome", "email", "plano_id"])
def test_missing_fields_are_422(api, plan, missing):
    sent = body(plan)
    del sent[missing]
    assert_error(api.post("/aluno/registro", json=sent), 422, "VALIDATION_ERROR", missing)


def test_unknown_fields_are_422(api, plan):
    response = api.post("/aluno/registro", json=body(plan, plano="mensal"))
    assert_error(response, 422, "VALIDATION_ERROR", "plano")


def test_future_enrollment_is_422(api, plan):
    response = api.post("/aluno/registro", json=body(plan, data_matricula=ago(hours=-2)))
    assert_error(response, 422, "TIMESTAMP_IN_FUTURE", "data_matricula")


def test_naive_enrollment_is_422(api, plan):
    naive = now().replace(tzinfo=None).isoformat()
    response = api.post("/aluno/registro", json=body(plan, data_matricula=naive))
    assert_error(response, 422, "TIMESTAMP_WITHOUT_TIMEZONE", "data_matricula")


def test_the_refused_registrations_stored_nothing(api, plan):
    email = unique_email("refused")
    api.post("/aluno/registro", json=body(plan, email=email, data_matricula=ago(hours=-2)))
    found = api.get("/alunos", params={"q": email}).json()
    assert found["total"] == 0
