"""DELETE /aluno/{id}/dados-pessoais through the app, with fake stubs (docs/personal-data.md)."""

import logging

import pytest
from gateway_fakes import FakeStub, rpc_error
from gateway_protos import member, ts
from pydantic import ValidationError

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.schemas.members import Member
from frequenta_kit.errors import NotFound

ERASED = member(
    7,
    name="Titular removido #7",
    email="titular-removido-7@dados-removidos.invalid",
    personal_data_erased_at=ts("2026-11-25T10:00:00Z"),
)


async def test_erasure_answers_200_with_the_anonymized_member(client, attendance: FakeStub):
    attendance.answer("EraseMemberPersonalData", pb.EraseMemberPersonalDataResponse(member=ERASED))
    response = await client.request(
        "DELETE", "/aluno/7/dados-pessoais", json={"motivo": "protocolo 42"}
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["id"], data["nome"], data["email"]) == (
        7,
        "Titular removido #7",
        "titular-removido-7@dados-removidos.invalid",
    )
    assert (data["telefone"], data["data_nascimento"]) == (None, None)
    assert data["dados_removidos_em"] == "2026-11-25T10:00:00Z"
    (sent,) = attendance.requests("EraseMemberPersonalData")
    assert (sent.member_id, sent.reason) == (7, "protocolo 42")


async def test_the_body_is_optional(client, attendance: FakeStub):
    attendance.answer("EraseMemberPersonalData", pb.EraseMemberPersonalDataResponse(member=ERASED))
    response = await client.delete("/aluno/7/dados-pessoais")
    assert response.status_code == 200, response.text
    (sent,) = attendance.requests("EraseMemberPersonalData")
    assert (sent.member_id, sent.reason) == (7, "")


async def test_an_unknown_member_is_404(client, attendance: FakeStub):
    attendance.answer(
        "EraseMemberPersonalData",
        rpc_error(NotFound("MEMBER_NOT_FOUND", "no member with id 7", field="member_id")),
    )
    response = await client.delete("/aluno/7/dados-pessoais")
    assert response.status_code == 404
    assert response.json()["erro"]["codigo"] == "MEMBER_NOT_FOUND"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/aluno/0/dados-pessoais", None),
        ("/aluno/7/dados-pessoais", {"motivo": "x" * 501}),
        ("/aluno/7/dados-pessoais", {"razao": "x"}),
    ],
)
async def test_bad_requests_are_422_before_any_call(client, attendance: FakeStub, path, body):
    response = await client.request("DELETE", path, json=body)
    assert response.status_code == 422
    assert attendance.requests("EraseMemberPersonalData") == []


async def test_a_member_never_erased_shows_null(client, attendance: FakeStub):
    attendance.answer("GetMember", pb.GetMemberResponse(member=member(7)))
    response = await client.get("/aluno/7")
    assert response.json()["dados_removidos_em"] is None


async def test_a_bug_refusing_a_members_data_logs_no_value(client, attendance: FakeStub, caplog):
    """A validation error raised by a bug (e.g. a response that does not fit its schema) would
    print the refused values in its message and traceback: the log names locations only."""
    try:
        Member.model_validate({"id": 7, "nome": "Zuleica", "email": "zuleica@example.com"})
    except ValidationError as error:
        attendance.answer("GetMember", error)
    with caplog.at_level(logging.ERROR):
        response = await client.get("/aluno/7")
    assert response.status_code == 500
    logged = "\n".join(caplog.text.splitlines())
    assert "unexpected error on GET /aluno/7: ValidationError" in logged
    assert "plano_id: missing" in logged
    assert "zuleica" not in logged.lower()
