"""The size limits of the gateway (README, "Limits"), through the app with fake stubs: bodies
over the route's limit are 413 PAYLOAD_TOO_LARGE before they are read (declared or streamed),
the bulk upload keeps its bigger limit, batches over the row limit are 413 TOO_MANY_ROWS, pages
over 200 are 422; rate-limit settings are checked at start-up."""

import json

import pytest
from gateway_fakes import FakeStub
from gateway_protos import member, ts
from pydantic import ValidationError

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.settings import GatewaySettings

BODY_LIMIT = 2048
BULK_LIMIT = 8192


@pytest.fixture
def settings() -> GatewaySettings:
    return GatewaySettings(
        grpc_deadline_seconds=2.5,
        bulk_deadline_seconds=2.5,
        max_body_bytes=BODY_LIMIT,
        bulk_max_body_bytes=BULK_LIMIT,
        bulk_max_rows=3,
        rate_limits_enabled=False,
    )


def erro(response) -> dict:
    return response.json()["erro"]


def registration(padding: int = 0) -> bytes:
    body = {"nome": "Ana Souza", "email": "ana@example.com", "plano_id": 1, "telefone": ""}
    body["telefone"] = "9" * padding  # too long a phone, but the size is refused first
    return json.dumps(body).encode()


async def test_a_body_declared_over_the_limit_is_413_unread(client, attendance: FakeStub):
    response = await client.post(
        "/aluno/registro",
        content=registration(BODY_LIMIT),
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, erro(response)["codigo"]) == (413, "PAYLOAD_TOO_LARGE")
    assert str(BODY_LIMIT) in erro(response)["mensagem"]
    assert set(erro(response)) == {"codigo", "mensagem", "detalhes"}
    assert attendance.calls == []


async def test_a_streamed_body_is_refused_once_it_passes_the_limit(client, attendance: FakeStub):
    sent = []

    async def chunks():  # no Content-Length: counted as it arrives
        for _ in range(10):
            sent.append(512)
            yield b" " * 512

    response = await client.post(
        "/aluno/checkin", content=chunks(), headers={"content-type": "application/json"}
    )
    assert (response.status_code, erro(response)["codigo"]) == (413, "PAYLOAD_TOO_LARGE")
    assert len(sent) < 10  # the rest was never read
    assert attendance.calls == []


async def test_a_body_within_the_limit_goes_through(client, attendance: FakeStub):
    attendance.answer("RegisterMember", pb.RegisterMemberResponse(member=member(42)))
    body = registration()
    assert len(body) < BODY_LIMIT
    response = await client.post(
        "/aluno/registro", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 201, response.text


async def test_the_bulk_upload_keeps_its_own_bigger_limit(client, attendance: FakeStub):
    attendance.answer(
        "SubmitCheckInBatch",
        pb.SubmitCheckInBatchResponse(
            job=pb.CheckInBatchJob(
                job_id="6f1c2a9e-0000-4000-8000-000000000001",
                state=pb.JOB_STATE_QUEUED,
                total_rows=1,
                submitted_at=ts("2025-03-11T09:00:00Z"),
            )
        ),
    )
    row = {"aluno_id": 1, "data_entrada": "2025-03-10T10:20:00Z", "dispositivo_id": "x" * 100}
    body = json.dumps({"checkins": [row]}) + " " * (BODY_LIMIT + 1000)  # JSON allows the spaces
    assert BODY_LIMIT < len(body) < BULK_LIMIT
    response = await client.post(
        "/aluno/checkins/lote", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 202, response.text

    response = await client.post(
        "/aluno/checkins/lote",
        content=" " * (BULK_LIMIT + 1),
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, erro(response)["codigo"]) == (413, "PAYLOAD_TOO_LARGE")


async def test_a_batch_over_the_row_limit_is_413_too_many_rows(client, attendance: FakeStub):
    rows = [{"aluno_id": n, "data_entrada": "2025-03-10T10:20:00Z"} for n in range(1, 5)]
    response = await client.post("/aluno/checkins/lote", json={"checkins": rows})
    assert (response.status_code, erro(response)["codigo"]) == (413, "TOO_MANY_ROWS")
    assert "at most 3" in erro(response)["mensagem"]
    assert attendance.calls == []


@pytest.mark.parametrize("path", ["/alunos", "/alunos/risco", "/aluno/1/frequencia"])
async def test_a_page_over_200_is_422(client, attendance: FakeStub, churn: FakeStub, path: str):
    response = await client.get(path, params={"tamanho": 201})
    assert (response.status_code, erro(response)["codigo"]) == (422, "VALIDATION_ERROR")
    assert erro(response)["detalhes"][0]["campo"] == "tamanho"
    assert attendance.calls == churn.calls == []


async def test_a_page_of_200_is_taken(client, attendance: FakeStub):
    attendance.answer("ListMembers", pb.ListMembersResponse(members=[member(1)], total=1))
    response = await client.get("/alunos", params={"tamanho": 200})
    assert response.status_code == 200, response.text
    (sent,) = attendance.requests("ListMembers")
    assert sent.page_size == 200


@pytest.mark.parametrize("value", ["lots", "", "0/minute", "10/fortnight"])
def test_a_bad_rate_limit_setting_stops_the_start(value: str):
    with pytest.raises(ValidationError, match="is not a rate limit"):
        GatewaySettings(_env_file=None, rate_limit_writes=value)


def test_rate_limit_settings_take_several_limits():
    settings = GatewaySettings(_env_file=None, rate_limit_login_per_ip="10/minute;100/hour")
    assert settings.rate_limit_login_per_ip == "10/minute;100/hour"
