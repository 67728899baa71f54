"""The gateway's rate limits counted in the real Redis, through the real app (fake gRPC stubs
answer behind it): writes per client (the login of the principal, else the IP) and token
endpoint attempts per IP and per login; 429 RATE_LIMITED with Retry-After; the window frees;
reads are not counted; Redis unreachable: everything goes through."""

import asyncio
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import httpx
import pytest
from fastapi import Body, FastAPI, Request

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.domain.errors import invalid_credentials
from frequenta_gateway import rate_limits
from frequenta_gateway.app import create_app
from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.clients import get_attendance, get_users
from frequenta_gateway.rate_limits import limit_login
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit.grpc_errors import to_grpc_status

PLAN = pb.Plan(id=1, code="mensal", name="Plano Mensal", duration_months=1, active=True)
NEW_PLAN = {"codigo": "mensal", "nome": "Plano Mensal", "duracao_meses": 1, "preco": 119.9}
REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeAttendance:
    """Answers the plan calls; counts what reached it."""

    def __init__(self) -> None:
        self.calls = 0

    async def CreatePlan(self, request: Any, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        self.calls += 1
        return pb.CreatePlanResponse(plan=PLAN)

    async def ListPlans(self, request: Any, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        self.calls += 1
        return pb.ListPlansResponse(plans=[PLAN])


def as_login(app: FastAPI, login: str) -> dict[str, str]:
    """The Authorization header of a valid admin token of ``login``."""
    principal = Principal(login=login, papel=Role.ADMIN)
    return {"Authorization": f"Bearer {tokens.issue(app.state.settings, principal).access_token}"}


def gateway(**settings: Any) -> tuple[FastAPI, FakeAttendance]:
    """The real app over fake stubs, counting in Redis under a key prefix of its own. A test
    route calls ``limit_login`` as the token endpoint does; another is a public write (the
    only writes an anonymous client can make are to public routes such as the token endpoint:
    the others answer 401 before they count)."""
    values = dict(redis_url=REDIS_URL, redis_key_prefix=f"frequenta-test-{uuid.uuid4().hex}")
    app = create_app(GatewaySettings(_env_file=None, **{**values, **settings}))
    attendance = FakeAttendance()
    app.dependency_overrides[get_attendance] = lambda: attendance

    @app.post("/test/token")
    async def token(request: Request, login: str = Body(embed=True)) -> dict[str, bool]:
        await limit_login(request, login)
        return {"ok": True}

    @app.post("/test/write", dependencies=[rate_limits.WRITES])
    async def public_write() -> dict[str, bool]:
        return {"ok": True}

    return app, attendance


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    """``clients(app, ip, login=...)``: an HTTP client of ``app`` calling from address ``ip``
    with an admin token of ``login`` (None: without a token)."""
    opened: list[httpx.AsyncClient] = []
    apps: list[FastAPI] = []

    def make(
        app: FastAPI, ip: str = "10.0.0.1", *, login: str | None = "admin"
    ) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        headers = as_login(app, login) if login else {}
        client = httpx.AsyncClient(transport=transport, base_url="http://gateway", headers=headers)
        opened.append(client)
        apps.append(app)
        return client

    yield make
    for client in opened:
        await client.aclose()
    for app in {id(app): app for app in apps}.values():
        if app.state.rate_limiter is not None:
            await app.state.rate_limiter.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_writes_over_the_limit_are_429_with_retry_after(clients) -> None:
    app, attendance = gateway(rate_limit_writes="3/minute")
    client = clients(app)
    for _ in range(3):
        assert (await client.post("/planos", json=NEW_PLAN)).status_code == 201
    refused = await client.post("/planos", json=NEW_PLAN)

    assert refused.status_code == 429
    erro = refused.json()["erro"]
    assert erro["codigo"] == "RATE_LIMITED"
    assert "at most 3 per 1 minute" in erro["mensagem"]
    assert set(erro) == {"codigo", "mensagem", "detalhes"}
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert refused.headers["x-ratelimit-limit"] == "3"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert attendance.calls == 3  # the refused write never reached the service


async def test_reads_are_not_counted(clients) -> None:
    app, _ = gateway(rate_limit_writes="2/minute")
    client = clients(app)
    for _ in range(5):
        assert (await client.get("/planos")).status_code == 200
    assert (await client.post("/planos", json=NEW_PLAN)).status_code == 201


async def test_the_window_frees_after_retry_after(clients, poll) -> None:
    app, _ = gateway(rate_limit_writes="2 per 2 seconds")
    client = clients(app)
    for _ in range(2):
        assert (await client.post("/planos", json=NEW_PLAN)).status_code == 201
    refused = await client.post("/planos", json=NEW_PLAN)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 2

    async def allowed_again() -> bool:
        return (await client.post("/planos", json=NEW_PLAN)).status_code == 201

    await poll(allowed_again, within=15, interval=0.25, what="the window to free")


async def test_clients_are_counted_apart_by_address_and_by_login(clients) -> None:
    app, _ = gateway(rate_limit_writes="2/minute")
    first = clients(app, "10.0.0.1", login=None)
    second = clients(app, "10.0.0.2", login=None)
    for _ in range(2):
        assert (await first.post("/test/write")).status_code == 200
    assert (await first.post("/test/write")).status_code == 429
    assert (await second.post("/test/write")).status_code == 200

    # An authenticated client counts by its login, wherever it calls from.
    ana = as_login(app, "ana")
    assert (await first.post("/planos", json=NEW_PLAN, headers=ana)).status_code == 201
    assert (await second.post("/planos", json=NEW_PLAN, headers=ana)).status_code == 201
    assert (await second.post("/planos", json=NEW_PLAN, headers=ana)).status_code == 429
    bia = as_login(app, "bia")
    assert (await second.post("/planos", json=NEW_PLAN, headers=bia)).status_code == 201


async def test_login_attempts_are_limited_per_login_and_per_address(clients) -> None:
    app, _ = gateway(rate_limit_login_per_user="2/minute", rate_limit_login_per_ip="4/minute")
    here, elsewhere = clients(app, "10.0.0.1"), clients(app, "10.0.0.9")

    async def attempt(client: httpx.AsyncClient, login: str) -> int:
        return (await client.post("/test/token", json={"login": login})).status_code

    assert [await attempt(here, "ana") for _ in range(3)] == [200, 200, 429]
    assert await attempt(elsewhere, " ANA ") == 429  # the same login from anywhere
    assert await attempt(here, "bia") == 200  # the address's 4th attempt
    refused = await here.post("/test/token", json={"login": "carla"})  # its 5th
    assert refused.status_code == 429
    assert refused.json()["erro"]["codigo"] == "RATE_LIMITED"
    assert "from this address" in refused.json()["erro"]["mensagem"]
    assert int(refused.headers["retry-after"]) >= 1
    assert await attempt(elsewhere, "carla") == 200


async def test_redis_unreachable_lets_every_call_through(clients, caplog) -> None:
    app, attendance = gateway(
        redis_url=f"redis://127.0.0.1:{closed_port()}/0", rate_limit_writes="1/minute"
    )
    client = clients(app)
    for _ in range(4):
        assert (await client.post("/planos", json=NEW_PLAN)).status_code == 201
    for _ in range(3):
        assert (await client.post("/test/token", json={"login": "ana"})).status_code == 200
    assert attendance.calls == 4
    # Each write is one check, each login two (per address, per login): all let through,
    # counted, and the outage logged once.
    assert app.state.rate_limiter.failed_open == 4 + 3 * 2
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1


async def test_limits_can_be_turned_off(clients) -> None:
    app, _ = gateway(rate_limit_writes="1/minute", rate_limits_enabled=False)
    client = clients(app)
    for _ in range(3):
        assert (await client.post("/planos", json=NEW_PLAN)).status_code == 201


async def test_a_silent_redis_costs_a_short_timeout_then_calls_go_through(clients) -> None:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # takes the connection, answers nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        app, attendance = gateway(
            redis_url=f"redis://127.0.0.1:{port}/0",
            rate_limit_writes="1/minute",
            rate_limit_timeout_seconds=0.2,
        )
        client = clients(app)
        for _ in range(3):
            response = await asyncio.wait_for(client.post("/planos", json=NEW_PLAN), 10)
            assert response.status_code == 201
        assert attendance.calls == 3
        assert app.state.rate_limiter.failed_open == 3
    finally:
        server.close()


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"redis-server on port {port} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


async def test_limits_apply_again_once_redis_is_back(clients, monkeypatch, poll) -> None:
    """A Redis of the test's own (the shared one is never stopped): limits apply, calls go
    through while it is stopped, and apply again, with the same process, once it is back."""
    monkeypatch.setattr(rate_limits, "RETRY_PAUSE_SECONDS", 0.1)
    port = closed_port()
    redis = start_redis(port)
    try:
        app, _ = gateway(redis_url=f"redis://127.0.0.1:{port}/0", rate_limit_writes="2/minute")
        client = clients(app)
        statuses = [(await client.post("/planos", json=NEW_PLAN)).status_code for _ in range(3)]
        assert statuses == [201, 201, 429]

        stop(redis)
        for _ in range(3):
            assert (await client.post("/planos", json=NEW_PLAN)).status_code == 201

        redis = start_redis(port)  # empty: the window starts again

        async def limited_again() -> bool:
            response = await client.post("/planos", json=NEW_PLAN)
            return response.status_code == 429

        await poll(limited_again, within=15, interval=0.2, what="limits to apply again")
    finally:
        stop(redis)


class FakeUsers:
    """Refuses every password; counts the attempts that reached it."""

    def __init__(self) -> None:
        self.calls = 0

    async def Authenticate(self, request: Any, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        self.calls += 1
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.UNAUTHENTICATED,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(*to_grpc_status(invalid_credentials()).trailing_metadata),
            details="wrong login or password",
        )


async def test_the_token_endpoint_counts_attempts_before_checking_the_password(clients) -> None:
    app, _ = gateway(rate_limit_login_per_user="2/minute", rate_limit_login_per_ip="10/minute")
    users = FakeUsers()
    app.dependency_overrides[get_users] = lambda: users
    client = clients(app, login=None)
    form = {"username": "ana", "password": "guess"}
    statuses = [(await client.post("/auth/token", data=form)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    assert users.calls == 2  # the refused attempt never reached the password check
