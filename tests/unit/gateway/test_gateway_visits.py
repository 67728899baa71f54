"""Check-in and check-out through the app, with fake stubs."""

import pytest
from gateway_fakes import FakeStub, rpc_error
from gateway_protos import ts, visit

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_kit.errors import Conflict, InvalidInput, NotFound


def erro(response) -> dict:
    return response.json()["erro"]


def campos(response) -> list[str]:
    return [detail["campo"] for detail in erro(response)["detalhes"]]


async def test_checkin_returns_201_and_the_visit(client, attendance: FakeStub):
    attendance.answer("RecordCheckIn", pb.RecordCheckInResponse(visit=visit()))
    response = await client.post("/aluno/checkin", json={"aluno_id": 42})
    assert response.status_code == 201
    assert "idempotent-replayed" not in response.headers
    assert response.json() == {
        "id": 1001,
        "aluno_id": 42,
        "data_entrada": "2025-03-10T10:15:00Z",
        "data_saida": None,
        "duracao_minutos": None,
        "origem": "recepcao",
        "dispositivo_id": None,
    }
    (sent,) = attendance.requests("RecordCheckIn")
    assert sent.member_id == 42
    assert not sent.HasField("entered_at")


async def test_import_of_a_finished_visit(client, attendance):
    finished = visit(
        exited_at=ts("2025-03-10T11:32:00Z"), duration_minutes=77, source=pb.CHECK_IN_SOURCE_IMPORT
    )
    attendance.answer("RecordCheckIn", pb.RecordCheckInResponse(visit=finished))
    response = await client.post(
        "/aluno/checkin",
        json={
            "aluno_id": 42,
            "data_entrada": "2025-03-10T07:15:00-03:00",
            "data_saida": "2025-03-10T08:32:00-03:00",
            "origem": "importacao",
        },
    )
    assert response.status_code == 201
    assert response.json()["duracao_minutos"] == 77
    (sent,) = attendance.requests("RecordCheckIn")
    assert sent.entered_at == ts("2025-03-10T10:15:00Z")
    assert sent.exited_at == ts("2025-03-10T11:32:00Z")
    assert sent.source == pb.CHECK_IN_SOURCE_IMPORT


async def test_replay_is_200_with_the_replayed_header(client, attendance):
    attendance.answer("RecordCheckIn", pb.RecordCheckInResponse(visit=visit(), replayed=True))
    response = await client.post(
        "/aluno/checkin", json={"aluno_id": 42}, headers={"Idempotency-Key": "k-1"}
    )
    assert response.status_code == 200
    assert response.headers["idempotent-replayed"] == "true"
    assert attendance.requests("RecordCheckIn")[0].idempotency_key == "k-1"


@pytest.mark.parametrize(
    ("body_key", "header_key", "sent"),
    [
        ("k-body", None, "k-body"),
        (None, "k-head", "k-head"),
        ("same", "same", "same"),
        (None, None, ""),
    ],
)
async def test_idempotency_key_from_body_or_header(client, attendance, body_key, header_key, sent):
    attendance.answer("RecordCheckIn", pb.RecordCheckInResponse(visit=visit()))
    body = {"aluno_id": 42} | ({"chave_idempotencia": body_key} if body_key else {})
    headers = {"Idempotency-Key": header_key} if header_key else {}
    response = await client.post("/aluno/checkin", json=body, headers=headers)
    assert response.status_code == 201
    assert attendance.requests("RecordCheckIn")[0].idempotency_key == sent


async def test_two_different_idempotency_keys_are_refused(client, attendance):
    response = await client.post(
        "/aluno/checkin",
        json={"aluno_id": 42, "chave_idempotencia": "a"},
        headers={"Idempotency-Key": "b"},
    )
    assert response.status_code == 422
    assert erro(response)["codigo"] == "VALIDATION_ERROR"
    assert campos(response) == ["chave_idempotencia"]
    assert attendance.calls == []


@pytest.mark.parametrize(
    ("body", "codigo", "expected"),
    [
        ({"aluno_id": "42"}, "VALIDATION_ERROR", ["aluno_id"]),
        ({"aluno_id": "abc"}, "VALIDATION_ERROR", ["aluno_id"]),
        ({"aluno_id": True}, "VALIDATION_ERROR", ["aluno_id"]),
        ({}, "VALIDATION_ERROR", ["aluno_id"]),
        (
            {"aluno_id": 42, "data_entrda": "2025-03-10T07:15:00Z"},
            "VALIDATION_ERROR",
            ["data_entrda"],
        ),
        ({"aluno_id": 42, "origem": "portao"}, "VALIDATION_ERROR", ["origem"]),
        ({"aluno_id": 42, "data_entrada": "ontem"}, "VALIDATION_ERROR", ["data_entrada"]),
        (
            {"aluno_id": 42, "data_entrada": "2025-03-10T07:15:00"},
            "TIMESTAMP_WITHOUT_TIMEZONE",
            ["data_entrada"],
        ),
        (
            {
                "aluno_id": 42,
                "data_entrada": "2025-03-10T07:15:00Z",
                "data_saida": "2025-03-10T08:15:00",
            },
            "TIMESTAMP_WITHOUT_TIMEZONE",
            ["data_saida"],
        ),
        ({"aluno_id": 42, "chave_idempotencia": ""}, "VALIDATION_ERROR", ["chave_idempotencia"]),
    ],
)
async def test_checkin_refuses_bad_bodies(client, attendance, body, codigo, expected):
    response = await client.post("/aluno/checkin", json=body)
    assert response.status_code == 422
    assert erro(response)["codigo"] == codigo
    assert campos(response) == expected
    assert attendance.calls == []


@pytest.mark.parametrize(
    ("error", "status", "campo"),
    [
        (NotFound("MEMBER_NOT_FOUND", "no member", field="member_id"), 404, "aluno_id"),
        (Conflict("VISIT_ALREADY_OPEN", "open", field="entered_at"), 409, "data_entrada"),
        (InvalidInput("EXIT_BEFORE_ENTRY", "before", field="exited_at"), 422, "data_saida"),
        (InvalidInput("VISIT_TOO_LONG", "too long", field="exited_at"), 422, "data_saida"),
        (InvalidInput("TIMESTAMP_IN_FUTURE", "future", field="entered_at"), 422, "data_entrada"),
        (
            InvalidInput("IDEMPOTENCY_KEY_REUSED", "reused", field="idempotency_key"),
            422,
            "chave_idempotencia",
        ),
        (
            Conflict("IDEMPOTENCY_KEY_IN_FLIGHT", "in flight", field="idempotency_key"),
            409,
            "chave_idempotencia",
        ),
    ],
)
async def test_checkin_maps_service_errors(client, attendance, error, status, campo):
    attendance.answer("RecordCheckIn", rpc_error(error))
    response = await client.post("/aluno/checkin", json={"aluno_id": 42})
    assert response.status_code == status
    assert erro(response)["codigo"] == error.code
    assert campos(response) == [campo]


async def test_checkout(client, attendance):
    closed = visit(exited_at=ts("2025-03-10T11:32:00Z"), duration_minutes=77)
    attendance.answer("RecordCheckOut", pb.RecordCheckOutResponse(visit=closed))
    response = await client.post(
        "/aluno/checkout",
        json={"aluno_id": 42, "data_saida": "2025-03-10T08:32:00-03:00", "dispositivo_id": "c-1"},
    )
    assert response.status_code == 200
    assert response.json()["duracao_minutos"] == 77
    (sent,) = attendance.requests("RecordCheckOut")
    assert (sent.member_id, sent.device_id) == (42, "c-1")
    assert sent.exited_at == ts("2025-03-10T11:32:00Z")


async def test_checkout_without_open_visit(client, attendance):
    attendance.answer(
        "RecordCheckOut", rpc_error(Conflict("NO_OPEN_VISIT", "no open visit", field="member_id"))
    )
    response = await client.post("/aluno/checkout", json={"aluno_id": 42})
    assert response.status_code == 409
    assert erro(response)["codigo"] == "NO_OPEN_VISIT"


async def test_checkout_refuses_unknown_fields(client, attendance):
    response = await client.post("/aluno/checkout", json={"aluno_id": 42, "origem": "app"})
    assert response.status_code == 422
    assert campos(response) == ["origem"]
