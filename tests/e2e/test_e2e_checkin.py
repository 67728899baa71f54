"""POST /aluno/checkin and /aluno/checkout against the real processes."""

import uuid

import pytest
from e2e_support import ago, assert_error, now, parse

pytestmark = pytest.mark.e2e


@pytest.fixture
def member(new_member):
    return new_member(data_matricula=ago(days=90))


def test_checkin_defaults_to_now_and_is_open(api, member):
    response = api.post("/aluno/checkin", json={"aluno_id": member["id"]})
    assert response.status_code == 201, response.text
    visit = response.json()
    assert visit["aluno_id"] == member["id"]
    assert abs((parse(visit["data_entrada"]) - now()).total_seconds()) < 60
    assert (visit["data_saida"], visit["duracao_minutos"]) == (None, None)
    assert visit["origem"] == "recepcao"
    assert "idempotent-replayed" not in response.headers


def test_checkin_then_checkout_gives_the_duration(api, member):
    entered = ago(minutes=95)
    response = api.post(
        "/aluno/checkin",
        json={
            "aluno_id": member["id"],
            "data_entrada": entered,
            "origem": "catraca",
            "dispositivo_id": "cat-1",
        },
    )
    assert response.status_code == 201, response.text
    assert (response.json()["origem"], response.json()["dispositivo_id"]) == ("catraca", "cat-1")
    response = api.post(
        "/aluno/checkout", json={"aluno_id": member["id"], "data_saida": ago(minutes=5)}
    )
    assert response.status_code == 200, response.text
    visit = response.json()
    assert parse(visit["data_entrada"]) == parse(entered)
    assert visit["duracao_minutos"] == 90


def test_import_of_a_finished_visit(api, member):
    response = api.post(
        "/aluno/checkin",
        json={
            "aluno_id": member["id"],
            "data_entrada": ago(days=3, hours=2),
            "data_saida": ago(days=3, hours=1, minutes=15),
            "origem": "importacao",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["duracao_minutos"] == 45


def test_unknown_member_is_404(api):
    assert_error(
        api.post("/aluno/checkin", json={"aluno_id": 987_654_321}),
        404,
        "MEMBER_NOT_FOUND",
        "aluno_id",
    )


def test_malformed_json_is_422(api):
    response = api.post(
        "/aluno/checkin", content=b"{aluno_id: 1}", headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "VALIDATION_ERROR", "corpo")


@pytest.mark.parametrize(
    ("sent", "campo"),
    [
        ({"aluno_id": "abc"}, "aluno_id"),
        ({"aluno_id": "1"}, "aluno_id"),
        ({"aluno_id": True}, "aluno_id"),
        ({"aluno_id": 1.5}, "aluno_id"),
        ({"aluno_id": 1, "data_entrada": 1741600000}, "data_entrada"),
        ({"aluno_id": 1, "origem": "portao"}, "origem"),
    ],
)
def test_wrong_types_are_422(api, sent, campo):
    assert_error(api.post("/aluno/checkin", json=sent), 422, "VALIDATION_ERROR", campo)


def test_missing_member_is_422(api):
    assert_error(
        api.post("/aluno/checkin", json={"data_entrada": ago(minutes=1)}),
        422,
        "VALIDATION_ERROR",
        "aluno_id",
    )


def test_unknown_fields_are_422(api, member):
    response = api.post("/aluno/checkin", json={"aluno_id": member["id"], "entrada": ago(hours=1)})
    assert_error(response, 422, "VALIDATION_ERROR", "entrada")


def test_future_entry_is_422(api, member):
    response = api.post(
        "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(hours=-1)}
    )
    assert_error(response, 422, "TIMESTAMP_IN_FUTURE", "data_entrada")


def test_naive_entry_is_422(api, member):
    naive = now().replace(tzinfo=None).isoformat()
    response = api.post("/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": naive})
    assert_error(response, 422, "TIMESTAMP_WITHOUT_TIMEZONE", "data_entrada")


def test_exit_before_entry_is_422(api, member):
    response = api.post(
        "/aluno/checkin",
        json={"aluno_id": member["id"], "data_entrada": ago(hours=2), "data_saida": ago(hours=3)},
    )
    assert_error(response, 422, "EXIT_BEFORE_ENTRY", "data_saida")


def test_visit_too_long_is_422(api, member):
    response = api.post(
        "/aluno/checkin",
        json={"aluno_id": member["id"], "data_entrada": ago(hours=10), "data_saida": ago(hours=2)},
    )
    assert_error(response, 422, "VISIT_TOO_LONG", "data_saida")


def test_checkin_while_a_visit_is_open_is_409(api, member):
    assert (
        api.post(
            "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(minutes=30)}
        ).status_code
        == 201
    )
    response = api.post("/aluno/checkin", json={"aluno_id": member["id"]})
    assert_error(response, 409, "VISIT_ALREADY_OPEN", "data_entrada")


@pytest.mark.parametrize("where", ["body", "header"])
def test_idempotent_replay_is_200_with_the_same_visit(api, member, where):
    key = f"e2e-{uuid.uuid4()}"
    sent = {
        "aluno_id": member["id"],
        "data_entrada": ago(days=5, hours=2),
        "data_saida": ago(days=5, hours=1),
    }
    headers = {"Idempotency-Key": key} if where == "header" else {}
    if where == "body":
        sent["chave_idempotencia"] = key
    first = api.post("/aluno/checkin", json=sent, headers=headers)
    assert first.status_code == 201, first.text
    again = api.post("/aluno/checkin", json=sent, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


def test_idempotency_key_reused_for_other_data_is_422(api, member):
    key = f"e2e-{uuid.uuid4()}"
    first = {
        "aluno_id": member["id"],
        "data_entrada": ago(days=6, hours=2),
        "data_saida": ago(days=6, hours=1),
        "chave_idempotencia": key,
    }
    assert api.post("/aluno/checkin", json=first).status_code == 201
    other = {**first, "data_entrada": ago(days=7, hours=2), "data_saida": ago(days=7, hours=1)}
    assert_error(
        api.post("/aluno/checkin", json=other), 422, "IDEMPOTENCY_KEY_REUSED", "chave_idempotencia"
    )


def test_checkin_before_enrollment_is_409(api, new_member):
    member = new_member(data_matricula=ago(days=1))
    response = api.post(
        "/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(days=2)}
    )
    assert_error(response, 409, "BEFORE_ENROLLMENT", "data_entrada")


def test_checkout_without_an_open_visit_is_409(api, member):
    assert_error(
        api.post("/aluno/checkout", json={"aluno_id": member["id"]}),
        409,
        "NO_OPEN_VISIT",
        "aluno_id",
    )


def test_checkout_before_the_entry_is_422(api, member):
    api.post("/aluno/checkin", json={"aluno_id": member["id"], "data_entrada": ago(minutes=20)})
    response = api.post(
        "/aluno/checkout", json={"aluno_id": member["id"], "data_saida": ago(minutes=40)}
    )
    assert_error(response, 422, "EXIT_BEFORE_ENTRY", "data_saida")


def test_checkout_of_an_unknown_member_is_404(api):
    assert_error(
        api.post("/aluno/checkout", json={"aluno_id": 987_654_321}),
        404,
        "MEMBER_NOT_FOUND",
        "aluno_id",
    )
