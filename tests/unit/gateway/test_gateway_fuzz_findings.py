"""Regressions for what fuzzing the OpenAPI document found (tests/e2e/test_e2e_fuzz_openapi.py):
each input here once got an answer the document does not declare, or was accepted although the
document says it is invalid. Through the app, with fake stubs."""

import pytest
from gateway_protos import member

from frequenta.attendance.v1 import attendance_pb2 as pb

JSON = {"content-type": "application/json"}


def erro(response) -> dict:
    return response.json()["erro"]


def campos(response) -> list[str]:
    return [detail["campo"] for detail in erro(response)["detalhes"]]


# --- a body that is not UTF-8, or nested too deeply: FastAPI's bare 400, now 422 ---------------


@pytest.mark.parametrize(
    ("path", "content", "reason"),
    [
        ("/aluno/registro", b"\x80\x81\x82\x83", "not UTF-8 text"),
        ("/aluno/checkin", b'{"aluno_id": "\xc3"}', "not UTF-8 text"),
        ("/planos", b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),
    ],
)
async def test_an_unreadable_json_body_is_422_on_the_body(
    client, attendance, path, content, reason
):
    response = await client.post(path, content=content, headers=JSON)
    assert response.status_code == 422, response.text
    assert erro(response)["codigo"] == "VALIDATION_ERROR"
    assert campos(response) == ["corpo"]
    assert erro(response)["detalhes"][0]["mensagem"] == f"Malformed JSON body: {reason}"
    assert attendance.calls == []


# --- dates and instants as digits: pydantic reads "0" as 1970-01-01 ----------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"data_fim": "0"},
        {"data_inicio": "1700000000"},
        {"data_inicio": "2025-01-01T00:00:00Z"},
        {"data_fim": "20250101"},
    ],
)
async def test_a_date_query_must_be_yyyy_mm_dd(client, attendance, params):
    response = await client.get("/aluno/42/frequencia", params=params)
    assert response.status_code == 422, response.text
    assert campos(response) == list(params)
    assert attendance.calls == []


async def test_a_report_date_in_the_path_must_be_yyyy_mm_dd(client, attendance):
    response = await client.get("/relatorios/diarios/0")
    assert response.status_code == 422, response.text
    assert campos(response) == ["data"]
    assert attendance.calls == []


@pytest.mark.parametrize("value", ["0", "1700000000", " 1700000000.5 ", "-1"])
async def test_an_instant_is_not_a_unix_time_in_a_string(client, attendance, value):
    response = await client.post("/aluno/checkin", json={"aluno_id": 1, "data_entrada": value})
    assert response.status_code == 422, response.text
    assert campos(response) == ["data_entrada"]
    assert attendance.calls == []


async def test_a_birth_date_is_not_a_unix_time_in_a_string(client, attendance):
    body = {"nome": "Ana", "email": "ana@example.com", "plano_id": 1, "data_nascimento": "0"}
    response = await client.post("/aluno/registro", json=body)
    assert response.status_code == 422, response.text
    assert campos(response) == ["data_nascimento"]
    assert attendance.calls == []


async def test_iso_dates_and_instants_still_pass(client, attendance):
    attendance.answer("RegisterMember", pb.RegisterMemberResponse(member=member(7)))
    body = {
        "nome": "Ana",
        "email": "ana@example.com",
        "plano_id": 1,
        "data_nascimento": "1994-07-21",
        "data_matricula": "2025-01-06T09:30:00-03:00",
    }
    response = await client.post("/aluno/registro", json=body)
    assert response.status_code == 201, response.text


# --- 405: `Allow` lists every method of the resource, not only its first route's --------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/planos", "GET, POST"),
        ("DELETE", "/relatorios/diarios", "GET, POST"),
        ("PUT", "/aluno/42", "GET"),
        ("GET", "/aluno/checkin", "POST"),
    ],
)
async def test_a_405_allows_every_method_of_the_resource(client, method, path, allow):
    response = await client.request(method, path)
    assert response.status_code == 405, response.text
    assert response.headers["allow"] == allow
    assert erro(response)["codigo"] == "METHOD_NOT_ALLOWED"
    assert erro(response)["mensagem"].endswith(f"allowed: {allow}.")


# --- an instant whose UTC time is outside year 1 to 9999: converting it overflowed, a 500 ------


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/aluno/checkin", {"aluno_id": 1}, "data_entrada"),
        ("/aluno/checkin", {"aluno_id": 1}, "data_saida"),
        ("/aluno/checkout", {"aluno_id": 1}, "data_saida"),
        (
            "/aluno/registro",
            {"nome": "Ana", "email": "a@example.com", "plano_id": 1},
            "data_matricula",
        ),
        ("/aluno/7/cancelamento", {"motivo": "preco"}, "data_cancelamento"),
    ],
)
async def test_an_instant_beyond_utc_years_1_to_9999_is_422(
    client, attendance, path, body, field, value
):
    response = await client.post(path, json={**body, field: value})
    assert response.status_code == 422, response.text
    assert campos(response) == [field]
    assert "out of range" in erro(response)["detalhes"][0]["mensagem"]
    assert attendance.calls == []


# --- 413: every route that takes a body may refuse it as too large, so declares it ------------


def test_every_operation_with_a_body_declares_413(app):
    document = app.openapi()
    undeclared = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation and "413" not in operation["responses"]
    ]
    assert undeclared == []


async def test_a_body_over_the_route_limit_is_413_as_declared(client, attendance, settings):
    body = {"motivo": "preco", "observacao": "x" * settings.max_body_bytes}
    response = await client.post("/aluno/7/cancelamento", json=body)
    assert response.status_code == 413, response.text
    assert erro(response)["codigo"] == "PAYLOAD_TOO_LARGE"
    assert attendance.calls == []
