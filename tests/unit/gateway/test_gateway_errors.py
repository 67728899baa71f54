"""The gRPC -> HTTP status table and the one error body."""

import json

import grpc
import pytest
from gateway_fakes import bare_rpc_error, rpc_error

from frequenta_gateway.errors import (
    HTTP_BY_GRPC_STATUS,
    field_name,
    http_equivalent,
    rest_wording,
    rpc_error_response,
    validation_response,
)
from frequenta_kit.errors import AlreadyExists, Conflict, InvalidInput, NotFound, Unavailable


@pytest.mark.parametrize(
    ("code", "http"),
    [
        (grpc.StatusCode.NOT_FOUND, 404),
        (grpc.StatusCode.ALREADY_EXISTS, 409),
        (grpc.StatusCode.FAILED_PRECONDITION, 409),
        (grpc.StatusCode.INVALID_ARGUMENT, 422),
        (grpc.StatusCode.UNAVAILABLE, 503),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504),
        (grpc.StatusCode.INTERNAL, 500),
        (grpc.StatusCode.UNKNOWN, 500),
        (grpc.StatusCode.PERMISSION_DENIED, 502),
        (grpc.StatusCode.UNAUTHENTICATED, 502),
        (grpc.StatusCode.RESOURCE_EXHAUSTED, 500),
    ],
)
def test_status_table(code: grpc.StatusCode, http: int) -> None:
    assert http_equivalent(code).status == http


def test_the_table_maps_exactly_the_documented_statuses() -> None:
    assert {code.name: eq.status for code, eq in HTTP_BY_GRPC_STATUS.items()} == {
        "NOT_FOUND": 404,
        "ALREADY_EXISTS": 409,
        "FAILED_PRECONDITION": 409,
        "INVALID_ARGUMENT": 422,
        "UNAVAILABLE": 503,
        "DEADLINE_EXCEEDED": 504,
        "UNAUTHENTICATED": 502,
        "PERMISSION_DENIED": 502,
    }


def body_of(response) -> dict:
    return json.loads(response.body)


@pytest.mark.parametrize(
    ("error", "status", "campo"),
    [
        (NotFound("PLAN_NOT_FOUND", "no plan with id 9", field="plan_id"), 404, "plano_id"),
        (AlreadyExists("EMAIL_ALREADY_REGISTERED", "taken", field="email"), 409, "email"),
        (Conflict("VISIT_ALREADY_OPEN", "open", field="entered_at"), 409, "data_entrada"),
        (InvalidInput("EXIT_BEFORE_ENTRY", "before", field="exited_at"), 422, "data_saida"),
        (InvalidInput("X", "x", field="cancelled_at"), 422, "data_cancelamento"),
        (InvalidInput("X", "x", field="price_cents"), 422, "preco"),
        (Conflict("NO_OPEN_VISIT", "none", field="member_id"), 409, "aluno_id"),
    ],
)
def test_service_errors_keep_their_code_and_name_the_rest_field(error, status, campo) -> None:
    response = rpc_error_response(rpc_error(error), retry_after=30)
    assert response.status_code == status
    assert body_of(response) == {
        "erro": {
            "codigo": error.code,
            "mensagem": error.message,
            "detalhes": [{"campo": campo, "mensagem": error.message}],
        }
    }
    assert "retry-after" not in response.headers


def test_an_error_without_field_has_no_details() -> None:
    response = rpc_error_response(rpc_error(Unavailable("NO_MODEL", "no model yet")), 30)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert body_of(response)["erro"] == {
        "codigo": "NO_MODEL",
        "mensagem": "no model yet",
        "detalhes": [],
    }


@pytest.mark.parametrize(
    ("code", "status", "codigo"),
    [
        (grpc.StatusCode.UNAVAILABLE, 503, "SERVICE_UNAVAILABLE"),
        (grpc.StatusCode.DEADLINE_EXCEEDED, 504, "UPSTREAM_TIMEOUT"),
        (grpc.StatusCode.INTERNAL, 500, "INTERNAL_ERROR"),
    ],
)
def test_transport_failures_do_not_leak_their_details(code, status, codigo) -> None:
    error = bare_rpc_error(code, "failed to connect to all addresses; ipv4:127.0.0.1:50051")
    response = rpc_error_response(error, retry_after=7)
    body = body_of(response)
    assert response.status_code == status
    assert body["erro"]["codigo"] == codigo
    assert "127.0.0.1" not in body["erro"]["mensagem"]
    assert body["erro"]["detalhes"] == []
    assert (response.headers.get("retry-after") == "7") == (status == 503)


def test_a_bare_client_error_keeps_the_service_message() -> None:
    response = rpc_error_response(bare_rpc_error(grpc.StatusCode.NOT_FOUND, "gone"), 30)
    assert response.status_code == 404
    assert body_of(response)["erro"] == {"codigo": "NOT_FOUND", "mensagem": "gone", "detalhes": []}


@pytest.mark.parametrize(
    ("loc", "kind", "expected"),
    [
        (("body", "aluno_id"), "int_type", "aluno_id"),
        (("query", "tamanho"), "less_than_equal", "tamanho"),
        (("path", "id"), "int_parsing", "id"),
        (("body",), "missing", "corpo"),
        (("body", 7), "json_invalid", "corpo"),
        (("body", "itens", 0, "nome"), "missing", "itens[0].nome"),
        (("header", "Idempotency-Key"), "string_too_long", "Idempotency-Key"),
    ],
)
def test_field_name_from_a_validation_location(loc, kind, expected) -> None:
    assert field_name(loc, kind) == expected


def test_validation_errors_become_one_detail_per_field() -> None:
    response = validation_response(
        [
            {"type": "missing", "loc": ("body", "email"), "msg": "Field required"},
            {"type": "extra_forbidden", "loc": ("body", "nmoe"), "msg": "Extra inputs..."},
        ]
    )
    assert response.status_code == 422
    erro = body_of(response)["erro"]
    assert erro["codigo"] == "VALIDATION_ERROR"
    assert [d["campo"] for d in erro["detalhes"]] == ["email", "nmoe"]
    assert "nmoe" in erro["mensagem"]
    assert erro["detalhes"][1]["mensagem"].startswith("Unknown field")


def test_only_naive_timestamps_give_their_own_code() -> None:
    naive = {"type": "timezone_aware", "loc": ("body", "data_entrada"), "msg": "tz"}
    other = {"type": "int_type", "loc": ("body", "aluno_id"), "msg": "int"}
    assert body_of(validation_response([naive]))["erro"]["codigo"] == "TIMESTAMP_WITHOUT_TIMEZONE"
    assert body_of(validation_response([naive, other]))["erro"]["codigo"] == "VALIDATION_ERROR"


def test_messages_speak_of_the_rest_field() -> None:
    error = InvalidInput(
        "TIMESTAMP_IN_FUTURE", "entered_at 2030-01-01 is in the future", field="entered_at"
    )
    erro = body_of(rpc_error_response(rpc_error(error), 30))["erro"]
    assert erro["mensagem"] == "data_entrada 2030-01-01 is in the future"
    assert erro["detalhes"] == [{"campo": "data_entrada", "mensagem": erro["mensagem"]}]


@pytest.mark.parametrize(
    ("message", "field", "expected"),
    [
        ("from_date is after to_date", "from_date", "data_inicio is after data_fim"),
        ("name must have 2 to 200 characters", "name", "nome must have 2 to 200 characters"),
        ("a cancellation reason is required", "reason", "a cancellation motivo is required"),
        ("a visit lasts at most 6 hours", "exited_at", "a visit lasts at most 6 hours"),
        ("the plan's name is taken", "code", "the plan's name is taken"),
    ],
)
def test_rest_wording(message: str, field: str, expected: str) -> None:
    assert rest_wording(message, field) == expected
