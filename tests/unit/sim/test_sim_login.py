"""The client's login: a token from POST /auth/token on the first request, sent as a bearer
token, and a new login when a request answers 401 (an expired token)."""

import httpx
import pytest

from frequenta_sim.login import LoginFailed, TokenAuth


class Gateway:
    """Answers POST /auth/token with token-1, token-2...; GET /alunos needs the latest one."""

    def __init__(self, password: str = "s3nh@-longa") -> None:
        self.password = password
        self.issued = 0
        self.seen: list[tuple[str, str | None]] = []
        self.down = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append((request.url.path, request.headers.get("Authorization")))
        if request.url.path == "/auth/token":
            if self.down:
                return httpx.Response(503, json={"erro": {"codigo": "SERVICE_UNAVAILABLE"}})
            body = httpx.Response(200, content=request.content).json()
            if body != {"login": "admin", "senha": self.password}:
                return httpx.Response(401, json={"erro": {"codigo": "INVALID_CREDENTIALS"}})
            self.issued += 1
            return httpx.Response(200, json={"access_token": f"token-{self.issued}"})
        if request.headers.get("Authorization") != f"Bearer token-{self.issued}":
            return httpx.Response(401, json={"erro": {"codigo": "TOKEN_EXPIRED"}})
        return httpx.Response(200, json={"ok": True})


def client(gateway: Gateway, password: str = "s3nh@-longa") -> httpx.Client:
    return httpx.Client(
        base_url="http://gw",
        transport=httpx.MockTransport(gateway),
        auth=TokenAuth("admin", password),
    )


def test_logs_in_once_then_sends_the_token():
    gateway = Gateway()
    with client(gateway) as api:
        assert api.get("/alunos", params={"q": "x"}).status_code == 200
        assert api.get("/alunos").status_code == 200
    assert gateway.seen == [
        ("/auth/token", None),
        ("/alunos", "Bearer token-1"),
        ("/alunos", "Bearer token-1"),
    ]


def test_an_expired_token_is_replaced_and_the_request_sent_again():
    gateway = Gateway()
    with client(gateway) as api:
        api.get("/alunos")
        gateway.issued += 1  # the gateway no longer takes token-1
        assert api.get("/alunos").status_code == 200
    assert gateway.seen[-3:] == [
        ("/alunos", "Bearer token-1"),
        ("/auth/token", None),
        ("/alunos", "Bearer token-3"),
    ]


def test_wrong_credentials_raise():
    with client(Gateway(), password="wrong") as api, pytest.raises(LoginFailed, match="401"):
        api.get("/alunos")


def test_a_login_the_gateway_cannot_answer_now_returns_its_answer_to_retry():
    gateway = Gateway()
    gateway.down = True
    with client(gateway) as api:
        assert api.get("/alunos").status_code == 503
        gateway.down = False
        assert api.get("/alunos").status_code == 200
