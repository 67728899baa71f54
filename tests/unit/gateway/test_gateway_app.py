"""App-wide behaviour: probes, unknown routes, unexpected errors, settings, OpenAPI."""

import grpc
import pytest
from fastapi import FastAPI
from gateway_fakes import FakeStub, bare_rpc_error
from grpc_health.v1 import health_pb2

from frequenta_gateway.app import create_app
from frequenta_gateway.settings import GatewaySettings

SERVING = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
NOT_SERVING = health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.NOT_SERVING)


async def test_healthz_needs_no_service(client, attendance, churn):
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_when_both_serve(client, health: dict[str, FakeStub]):
    for stub in health.values():
        stub.answer("Check", SERVING)
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "pronto",
        "servicos": {"attendance": "SERVING", "churn": "SERVING"},
    }
    assert health["churn"].requests("Check")[0].service == "fake.churn"


@pytest.mark.parametrize(
    ("churn_answer", "reported"),
    [
        (NOT_SERVING, "NOT_SERVING"),
        (bare_rpc_error(grpc.StatusCode.UNAVAILABLE, "connection refused"), "UNAVAILABLE"),
    ],
)
async def test_readyz_names_the_service_that_is_not_ready(client, health, churn_answer, reported):
    health["attendance"].answer("Check", SERVING)
    health["churn"].answer("Check", churn_answer)
    response = await client.get("/readyz")
    assert response.status_code == 503
    erro = response.json()["erro"]
    assert erro["codigo"] == "NOT_READY"
    assert "churn" in erro["mensagem"]
    assert erro["detalhes"] == [{"campo": "churn", "mensagem": reported}]


async def test_unknown_route_is_404_in_the_error_body(client):
    response = await client.get("/alunos/todos/agora")
    assert response.status_code == 404
    assert response.json()["erro"]["codigo"] == "NOT_FOUND"
    assert response.json()["erro"]["detalhes"] == []


async def test_wrong_method_is_405_with_allow(client):
    response = await client.delete("/aluno/checkin")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["erro"]["codigo"] == "METHOD_NOT_ALLOWED"


async def test_a_bug_is_500_in_the_error_body(client, attendance: FakeStub):
    attendance.answer("GetMember", RuntimeError("boom"))
    response = await client.get("/aluno/1")
    assert response.status_code == 500
    assert response.json()["erro"]["codigo"] == "INTERNAL_ERROR"
    assert "boom" not in response.text


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FREQUENTA_GATEWAY_PORT", "18080")
    monkeypatch.setenv("FREQUENTA_ATTENDANCE_ADDRESS", "10.0.0.1:1")
    monkeypatch.setenv("FREQUENTA_CHURN_ADDRESS", "10.0.0.2:2")
    monkeypatch.setenv("FREQUENTA_GRPC_DEADLINE_SECONDS", "1.5")
    settings = GatewaySettings()
    assert (
        settings.gateway_port,
        settings.attendance_address,
        settings.churn_address,
        settings.grpc_deadline_seconds,
    ) == (18080, "10.0.0.1:1", "10.0.0.2:2", 1.5)


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "GATEWAY_HOST",
        "GATEWAY_PORT",
        "ATTENDANCE_ADDRESS",
        "CHURN_ADDRESS",
        "GRPC_DEADLINE_SECONDS",
    ):
        monkeypatch.delenv(f"FREQUENTA_{name}", raising=False)
    settings = GatewaySettings(_env_file=None)
    assert (
        settings.gateway_host,
        settings.gateway_port,
        settings.attendance_address,
        settings.churn_address,
        settings.grpc_deadline_seconds,
    ) == ("127.0.0.1", 8000, "127.0.0.1:50051", "127.0.0.1:50052", 5.0)


async def test_lifespan_opens_and_closes_the_channels() -> None:
    app = create_app(GatewaySettings(attendance_address="127.0.0.1:1", churn_address="127.0.0.1:2"))
    async with app.router.lifespan_context(app):
        backends = app.state.backends
        assert len(backends.channels) == 2
    for channel in backends.channels:
        assert channel.get_state() == grpc.ChannelConnectivity.SHUTDOWN


# --- OpenAPI -------------------------------------------------------------------------------------

REQUIRED_PATHS = {
    "/aluno/registro": "post",
    "/aluno/checkin": "post",
    "/aluno/{id}/frequencia": "get",
    "/aluno/{id}/risco-churn": "get",
}


@pytest.fixture
def openapi(app: FastAPI) -> dict:
    return app.openapi()


def test_openapi_has_title_description_and_tags(openapi) -> None:
    assert openapi["info"]["title"] == "Frequenta API"
    assert "erro" in openapi["info"]["description"]
    assert {tag["name"] for tag in openapi["tags"]} >= {"alunos", "checkins", "frequencia", "risco"}


def test_openapi_has_the_four_required_paths_verbatim(openapi) -> None:
    for path, method in REQUIRED_PATHS.items():
        assert method in openapi["paths"][path]


def test_every_route_documents_its_errors_with_the_error_model(openapi) -> None:
    for path, operations in openapi["paths"].items():
        if path == "/healthz":
            continue
        for method, operation in operations.items():
            errors = {code: r for code, r in operation["responses"].items() if code >= "400"}
            assert errors, f"{method} {path} documents no error"
            for code, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, code)
            assert "HTTPValidationError" not in str(operation)


def test_every_schema_has_a_description_and_an_example(openapi) -> None:
    for name, schema in openapi["components"]["schemas"].items():
        assert schema.get("description"), f"{name} has no description"
        if schema.get("type") == "object":
            assert schema.get("examples"), f"{name} has no example"
            for field, prop in schema["properties"].items():
                assert prop.get("description") or "$ref" in str(prop), f"{name}.{field}"
