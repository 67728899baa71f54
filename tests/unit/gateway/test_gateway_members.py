"""Members through the app, with fake stubs: registration, lookup, listing, cancellation."""

import grpc
import pytest
from gateway_fakes import FakeStub, bare_rpc_error, rpc_error
from gateway_protos import member, ts

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_kit.errors import AlreadyExists, Conflict, NotFound

VALID = {"nome": "Ana Souza", "email": "ana@example.com", "plano_id": 1}


def erro(response) -> dict:
    return response.json()["erro"]


def campos(response) -> list[str]:
    return [detail["campo"] for detail in erro(response)["detalhes"]]


async def test_register_returns_201_the_member_and_its_location(client, attendance: FakeStub):
    attendance.answer("RegisterMember", pb.RegisterMemberResponse(member=member(42)))
    body = {
        **VALID,
        "telefone": "+55 11 91234-5678",
        "data_nascimento": "1994-07-21",
        "data_matricula": "2025-01-06T09:30:00-03:00",
    }
    response = await client.post("/aluno/registro", json=body)
    assert response.status_code == 201
    assert response.headers["location"] == "/aluno/42"
    data = response.json()
    assert (data["id"], data["plano_id"], data["ativo"]) == (42, 1, True)
    assert data["plano"]["preco"] == 119.9
    assert data["data_matricula"] == "2025-01-06T12:30:00Z"
    (sent,) = attendance.requests("RegisterMember")
    assert sent.enrolled_at == ts("2025-01-06T12:30:00Z")
    assert sent.phone == "+55 11 91234-5678"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({**VALID, "plano_id": "1"}, ["plano_id"]),
        ({**VALID, "plano_id": True}, ["plano_id"]),
        ({**VALID, "plano_id": 1.5}, ["plano_id"]),
        ({**VALID, "plano_id": 0}, ["plano_id"]),
        ({**VALID, "nome": 7}, ["nome"]),
        ({**VALID, "email": "not-an-email"}, ["email"]),
        ({**VALID, "data_nascimento": "21/07/1994"}, ["data_nascimento"]),
        ({"nome": "Ana"}, ["email", "plano_id"]),
        ({**VALID, "plano": 1}, ["plano"]),
        ({**VALID, "data_matricula": 1736166600}, ["data_matricula"]),
        ([VALID], ["corpo"]),
    ],
)
async def test_register_refuses_bad_bodies_before_any_call(client, attendance, body, expected):
    response = await client.post("/aluno/registro", json=body)
    assert response.status_code == 422
    assert erro(response)["codigo"] == "VALIDATION_ERROR"
    assert campos(response) == expected
    assert attendance.calls == []


async def test_register_refuses_malformed_json(client, attendance):
    response = await client.post(
        "/aluno/registro", content=b'{"nome": "Ana",', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert erro(response)["codigo"] == "VALIDATION_ERROR"
    assert campos(response) == ["corpo"]
    assert erro(response)["detalhes"][0]["mensagem"].startswith("Malformed JSON")
    assert attendance.calls == []


async def test_register_refuses_a_naive_enrollment(client, attendance):
    response = await client.post(
        "/aluno/registro", json={**VALID, "data_matricula": "2025-01-06T09:30:00"}
    )
    assert response.status_code == 422
    assert erro(response)["codigo"] == "TIMESTAMP_WITHOUT_TIMEZONE"
    assert campos(response) == ["data_matricula"]


@pytest.mark.parametrize(
    ("error", "status", "campo"),
    [
        (AlreadyExists("EMAIL_ALREADY_REGISTERED", "taken", field="email"), 409, "email"),
        (NotFound("PLAN_NOT_FOUND", "no plan with id 1", field="plan_id"), 404, "plano_id"),
        (Conflict("PLAN_INACTIVE", "no longer offered", field="plan_id"), 409, "plano_id"),
    ],
)
async def test_register_maps_service_errors(client, attendance, error, status, campo):
    attendance.answer("RegisterMember", rpc_error(error))
    response = await client.post("/aluno/registro", json=VALID)
    assert response.status_code == status
    assert erro(response)["codigo"] == error.code
    assert campos(response) == [campo]


async def test_get_member(client, attendance):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(7)))
    response = await client.get("/aluno/7")
    assert response.status_code == 200
    assert response.json()["id"] == 7
    assert attendance.requests("GetMember")[0].member_id == 7


async def test_get_unknown_member(client, attendance):
    attendance.answer(
        "GetMember",
        rpc_error(NotFound("MEMBER_NOT_FOUND", "no member with id 7", field="member_id")),
    )
    response = await client.get("/aluno/7")
    assert response.status_code == 404
    assert erro(response) == {
        "codigo": "MEMBER_NOT_FOUND",
        "mensagem": "no member with id 7",
        "detalhes": [{"campo": "aluno_id", "mensagem": "no member with id 7"}],
    }


async def test_member_paths_only_match_numeric_ids(client, attendance):
    assert (await client.get("/aluno/abc")).status_code == 404
    assert (await client.get("/aluno/0")).status_code == 422
    response = await client.get("/aluno/registro")
    assert response.status_code == 405
    assert erro(response)["codigo"] == "METHOD_NOT_ALLOWED"
    assert attendance.calls == []


async def test_attendance_down_is_503_with_retry_after(client, attendance):
    attendance.answer("GetMember", bare_rpc_error(grpc.StatusCode.UNAVAILABLE, "refused"))
    response = await client.get("/aluno/7")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert erro(response)["codigo"] == "SERVICE_UNAVAILABLE"


async def test_list_members_maps_filters_and_paging(client, attendance):
    attendance.answer(
        "ListMembers", pb.ListMembersResponse(members=[member(1), member(2)], total=12)
    )
    response = await client.get(
        "/alunos",
        params={"plano_id": 3, "status": "cancelados", "q": "ana", "pagina": 2, "tamanho": 2},
    )
    assert response.status_code == 200
    data = response.json()
    assert [m["id"] for m in data["itens"]] == [1, 2]
    assert (data["total"], data["pagina"], data["tamanho"]) == (12, 2, 2)
    (sent,) = attendance.requests("ListMembers")
    assert (sent.plan_id, sent.status, sent.query, sent.page, sent.page_size) == (
        3,
        pb.MEMBER_STATUS_FILTER_CANCELLED,
        "ana",
        2,
        2,
    )


@pytest.mark.parametrize(
    ("params", "campo"),
    [
        ({"tamanho": 201}, "tamanho"),
        ({"tamanho": 0}, "tamanho"),
        ({"pagina": "x"}, "pagina"),
        ({"status": "inativos"}, "status"),
        ({"plano_id": "abc"}, "plano_id"),
    ],
)
async def test_list_members_refuses_bad_queries(client, attendance, params, campo):
    response = await client.get("/alunos", params=params)
    assert response.status_code == 422
    assert campos(response) == [campo]
    assert attendance.calls == []


async def test_cancel_membership(client, attendance):
    cancelled = member(
        7,
        active=False,
        cancelled_at=ts("2025-03-31T21:00:00Z"),
        cancellation_reason=pb.CANCELLATION_REASON_PRICE,
    )
    attendance.answer("CancelMembership", pb.CancelMembershipResponse(member=cancelled))
    response = await client.post(
        "/aluno/7/cancelamento",
        json={
            "motivo": "preco",
            "observacao": "caro",
            "data_cancelamento": "2025-03-31T18:00:00-03:00",
        },
    )
    assert response.status_code == 200
    assert (response.json()["ativo"], response.json()["motivo_cancelamento"]) == (False, "preco")
    (sent,) = attendance.requests("CancelMembership")
    assert (sent.member_id, sent.reason, sent.note) == (7, pb.CANCELLATION_REASON_PRICE, "caro")
    assert sent.cancelled_at == ts("2025-03-31T21:00:00Z")


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        ({"codigo_motivo": "dinheiro"}, "codigo_motivo"),
        ({"codigo_motivo": "preco", "motivo": "caro", "observacao": "caro"}, "observacao"),
        ({"motivo": "preco", "observacao": "x" * 1001}, "observacao"),
        ({"motivo": "preco", "obs": "x"}, "obs"),
    ],
)
async def test_cancel_refuses_bad_bodies(client, attendance, body, campo):
    response = await client.post("/aluno/7/cancelamento", json=body)
    assert response.status_code == 422
    assert campos(response) == [campo]


async def test_cancel_twice_is_409(client, attendance):
    attendance.answer(
        "CancelMembership",
        rpc_error(Conflict("ALREADY_CANCELLED", "already cancelled", field="member_id")),
    )
    response = await client.post("/aluno/7/cancelamento", json={"motivo": "outro"})
    assert response.status_code == 409
    assert erro(response)["codigo"] == "ALREADY_CANCELLED"


@pytest.mark.parametrize(
    ("body", "reason", "note"),
    [
        (None, pb.CANCELLATION_REASON_NOT_GIVEN, ""),  # no body at all
        ({}, pb.CANCELLATION_REASON_NOT_GIVEN, ""),
        ({"motivo": "Mudou de cidade"}, pb.CANCELLATION_REASON_NOT_GIVEN, "Mudou de cidade"),
        ({"motivo": "mudanca"}, pb.CANCELLATION_REASON_RELOCATION, ""),  # an older client's code
        ({"motivo": "preco", "observacao": "caro"}, pb.CANCELLATION_REASON_PRICE, "caro"),
        ({"codigo_motivo": "saude", "motivo": "Lesão"}, pb.CANCELLATION_REASON_HEALTH, "Lesão"),
        ({"codigo_motivo": "outro", "motivo": "preco"}, pb.CANCELLATION_REASON_OTHER, "preco"),
        (
            {"codigo_motivo": "concorrencia", "observacao": "x"},
            pb.CANCELLATION_REASON_COMPETITOR,
            "x",
        ),
    ],
)
async def test_cancel_reads_the_reason_code_and_the_free_text(
    client, attendance, body, reason, note
):
    cancelled = member(7, active=False, cancelled_at=ts("2025-03-31T21:00:00Z"))
    cancelled.cancellation_reason = reason
    attendance.answer("CancelMembership", pb.CancelMembershipResponse(member=cancelled))
    response = await client.post("/aluno/7/cancelamento", json=body)
    assert response.status_code == 200, response.text
    (sent,) = attendance.requests("CancelMembership")
    assert (sent.reason, sent.note) == (reason, note)
    data = response.json()
    assert data["codigo_motivo"] == data["motivo_cancelamento"] == CODES[reason]


CODES = {
    pb.CANCELLATION_REASON_NOT_GIVEN: "nao_informado",
    pb.CANCELLATION_REASON_RELOCATION: "mudanca",
    pb.CANCELLATION_REASON_PRICE: "preco",
    pb.CANCELLATION_REASON_HEALTH: "saude",
    pb.CANCELLATION_REASON_OTHER: "outro",
    pb.CANCELLATION_REASON_COMPETITOR: "concorrencia",
}
