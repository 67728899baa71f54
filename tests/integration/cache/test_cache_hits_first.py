"""Cache hits answered before routing (frequenta_gateway.cache.hits) through the real app and
the real Redis, a fake attendance behind it: a hit skips routing and the dependencies, and
answers exactly what the route would; everything else (a query, a miss, a bump, any caller the
route's policy refuses, a bad token, Redis failing) is answered by the route as before."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cache_support import REDIS_URL, delete_prefix
from fastapi import FastAPI
from prometheus_client import REGISTRY
from redis_support import free_port

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_gateway.app import create_app
from frequenta_gateway.auth import tokens
from frequenta_gateway.auth.principal import Principal, Role
from frequenta_gateway.cache import ResponseCache
from frequenta_gateway.clients import get_attendance, get_deadline
from frequenta_gateway.settings import GatewaySettings
from frequenta_kit.cache_versions import CacheVersions, redis_client

PATH = "/aluno/{id:int}/frequencia"


class FakeAttendance:
    """Answers GetAttendance for any member; counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def GetAttendance(self, request: Any, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        self.calls += 1
        return pb.GetAttendanceResponse(
            member_id=request.member_id,
            summary=pb.AttendanceSummary(total_visits=self.calls),
            from_date="2025-01-01",
            to_date="2025-03-31",
        )


class Routed:
    """A dependency every routed request of the cached routes solves: counts them."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> float:
        self.count += 1
        return 2.0


@pytest.fixture
async def setup() -> AsyncIterator[tuple[FastAPI, GatewaySettings, FakeAttendance, Routed]]:
    prefix = f"frequenta-test-{uuid.uuid4().hex[:8]}"
    settings = GatewaySettings(
        redis_url=REDIS_URL,
        redis_key_prefix=prefix,
        rate_limits_enabled=False,
        cache_timeout_seconds=1.0,
        cache_breaker_seconds=60,
    )
    app = create_app(settings)
    app.state.cache = ResponseCache.open(settings)
    attendance, routed = FakeAttendance(), Routed()
    app.dependency_overrides[get_attendance] = lambda: attendance
    app.dependency_overrides[get_deadline] = routed
    yield app, settings, attendance, routed
    await app.state.cache.close()
    await delete_prefix(REDIS_URL, prefix)


def client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway", headers=headers)


def token(settings: GatewaySettings, role: Role, aluno_id: int | None = None, **kw: Any) -> dict:
    principal = Principal(login=f"test-{role}", papel=role, aluno_id=aluno_id)
    return {"Authorization": f"Bearer {tokens.issue(settings, principal, **kw).access_token}"}


def requests_of_route() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "frequenta_gateway_http_requests"
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("handler") == PATH
    )


def count_lookups(app: FastAPI) -> list[int]:
    """How many lookups the app's cache store makes (one round trip each)."""
    store = app.state.cache.store
    lookup, calls = store.lookup, [0]

    async def counted(*args: Any) -> Any:
        calls[0] += 1
        return await lookup(*args)

    store.lookup = counted
    return calls


async def test_a_hit_skips_routing_and_answers_what_the_route_answers(setup):
    app, settings, attendance, routed = setup
    lookups = count_lookups(app)
    async with client(app, token(settings, Role.EQUIPE)) as api:
        first = await api.get("/aluno/42/frequencia")
        assert (first.status_code, first.headers["x-cache"]) == (200, "miss")
        assert (attendance.calls, routed.count) == (1, 1)
        assert lookups == [1]  # the route reused the lookup made before routing

        counted = requests_of_route()
        second = await api.get("/aluno/42/frequencia", headers={"X-Request-ID": "desk-7"})
        assert (second.status_code, second.headers["x-cache"]) == (200, "hit")
        assert second.content == first.content
        assert second.headers["content-type"] == first.headers["content-type"]
        assert (attendance.calls, routed.count) == (1, 1)  # neither routed nor computed
        assert lookups == [2]
        assert second.headers["x-request-id"] == "desk-7"
        assert requests_of_route() == counted + 1  # the metrics name the route

        # The route, asked with its defaults spelt out, reads the very same entry.
        explicit = await api.get("/aluno/42/frequencia", params={"pagina": 1, "tamanho": 50})
        assert (explicit.headers["x-cache"], explicit.content) == ("hit", first.content)
        assert routed.count == 2 and lookups == [3]


async def test_a_bump_makes_the_next_request_computed_again(setup):
    app, settings, attendance, routed = setup
    versions = CacheVersions(redis_client(REDIS_URL, 1.0), settings.redis_key_prefix)
    try:
        async with client(app, token(settings, Role.ADMIN)) as api:
            await api.get("/aluno/5/frequencia")
            assert (await api.get("/aluno/5/frequencia")).headers["x-cache"] == "hit"
            await versions.bump_members([5])
            again = await api.get("/aluno/5/frequencia")
            assert again.headers["x-cache"] == "miss" and attendance.calls == 2
            assert again.json()["total_checkins"] == 2
    finally:
        await versions.close()


async def test_callers_the_policy_refuses_get_the_routes_answers(setup):
    app, settings, attendance, routed = setup
    async with client(app, token(settings, Role.ADMIN)) as api:
        await api.get("/aluno/42/frequencia")  # the entry is there for everyone below
        assert (await api.get("/aluno/42/frequencia")).headers["x-cache"] == "hit"

    async with client(app) as api:
        own = await api.get("/aluno/42/frequencia", headers=token(settings, Role.ALUNO, 42))
        assert (own.status_code, own.headers["x-cache"]) == (200, "hit")

        other = await api.get("/aluno/42/frequencia", headers=token(settings, Role.ALUNO, 43))
        unknown = await api.get("/aluno/999/frequencia", headers=token(settings, Role.ALUNO, 43))
        assert other.status_code == 404 and other.json()["erro"]["codigo"] == "MEMBER_NOT_FOUND"
        assert other.json()["erro"]["mensagem"] == "no member with id 42"
        assert unknown.status_code == 404 and "x-cache" not in other.headers

        turnstile = await api.get("/aluno/42/frequencia", headers=token(settings, Role.CATRACA))
        assert turnstile.status_code == 403 and turnstile.json()["erro"]["codigo"] == "FORBIDDEN"

        expired = token(settings, Role.ADMIN, now=time.time() - 24 * 3600)
        late = await api.get("/aluno/42/frequencia", headers=expired)
        assert late.status_code == 401 and late.json()["erro"]["codigo"] == "TOKEN_EXPIRED"

        forged = {"Authorization": token(settings, Role.ADMIN)["Authorization"][:-4] + "AAAA"}
        assert (await api.get("/aluno/42/frequencia", headers=forged)).status_code == 401
        assert (await api.get("/aluno/42/frequencia")).status_code == 401
        basic = await api.get("/aluno/42/frequencia", headers={"Authorization": "Basic eDp5"})
        assert basic.status_code == 401
    assert attendance.calls == 1


async def test_redis_unreachable_the_route_answers_uncached():
    settings = GatewaySettings(
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        redis_key_prefix="frequenta-test-closed",
        rate_limits_enabled=False,
        cache_timeout_seconds=0.5,
        cache_breaker_seconds=60,
    )
    app = create_app(settings)
    app.state.cache = ResponseCache.open(settings)
    attendance = FakeAttendance()
    app.dependency_overrides[get_attendance] = lambda: attendance
    try:
        async with client(app, token(settings, Role.ADMIN)) as api:
            answers = [await api.get("/aluno/3/frequencia") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert [a.headers["x-cache"] for a in answers] == ["error", "bypass", "bypass"]
        assert attendance.calls == 3
    finally:
        await app.state.cache.close()
