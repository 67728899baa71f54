"""Gateway unit tests: the real app with hand-written fake stubs injected through dependency
overrides. No process, no network."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from gateway_fakes import FakeStub, bearer

from frequenta_gateway.app import create_app
from frequenta_gateway.clients import (
    HealthTarget,
    get_attendance,
    get_churn,
    get_health_targets,
    get_users,
)
from frequenta_gateway.settings import GatewaySettings


@pytest.fixture
def settings() -> GatewaySettings:
    # No rate limits: they count in Redis (tests/integration/gateway test them).
    return GatewaySettings(
        grpc_deadline_seconds=2.5, retry_after_seconds=30, rate_limits_enabled=False
    )


@pytest.fixture
def attendance() -> FakeStub:
    return FakeStub()


@pytest.fixture
def churn() -> FakeStub:
    return FakeStub()


@pytest.fixture
def users() -> FakeStub:
    return FakeStub()


@pytest.fixture
def health() -> dict[str, FakeStub]:
    return {"attendance": FakeStub(), "churn": FakeStub()}


@pytest.fixture
def app(
    settings: GatewaySettings,
    attendance: FakeStub,
    churn: FakeStub,
    users: FakeStub,
    health: dict[str, FakeStub],
) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[get_attendance] = lambda: attendance
    app.dependency_overrides[get_churn] = lambda: churn
    app.dependency_overrides[get_users] = lambda: users
    app.dependency_overrides[get_health_targets] = lambda: {
        name: HealthTarget(stub, f"fake.{name}")
        for name, stub in health.items()  # type: ignore[arg-type]
    }
    return app


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client without a token."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        yield client


@pytest.fixture
async def client(app: FastAPI, settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    """A client with an admin's token (every route lets admins in)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://gateway", headers=bearer(settings)
    ) as client:
        yield client


@pytest.fixture(autouse=True)
def every_call_has_a_deadline(
    settings: GatewaySettings,
    attendance: FakeStub,
    churn: FakeStub,
    users: FakeStub,
    health: dict[str, FakeStub],
):
    """Whatever a test does, every gRPC call the gateway made carried the configured deadline."""
    yield
    for stub in (attendance, churn, users, *health.values()):
        for call in stub.calls:
            assert call.timeout == settings.grpc_deadline_seconds, call
