"""Bearer tokens for the benches, when the gateway asks for them.

A gateway whose OpenAPI has ``POST /auth/token`` gets the admin's credentials (the ones the bench
gave the stack through FREQUENTA_ADMIN_LOGIN / FREQUENTA_ADMIN_PASSWORD), as a form
(OAuth2 password flow) or as JSON, whichever the operation declares; a gateway without it is
called without a token.
"""

import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import httpx

TOKEN_PATH = "/auth/token"
LOGIN_FIELDS = ("username", "login", "usuario", "email")
PASSWORD_FIELDS = ("password", "senha")
TOKEN_FIELDS = ("access_token", "token")


@dataclass(frozen=True)
class TokenEndpoint:
    base_url: str
    login: str
    password: str
    as_form: bool
    login_field: str = "username"
    password_field: str = "password"

    def fetch(self) -> str:
        body = {self.login_field: self.login, self.password_field: self.password}
        sent = {"data": body} if self.as_form else {"json": body}
        response = httpx.post(f"{self.base_url}{TOKEN_PATH}", timeout=30, **sent)
        if response.status_code != 200:
            raise RuntimeError(
                f"POST {TOKEN_PATH} as {self.login!r}: HTTP {response.status_code} "
                f"{response.text[:300]}"
            )
        answer = response.json()
        for field in TOKEN_FIELDS:
            if isinstance(answer.get(field), str):
                return answer[field]
        raise RuntimeError(f"POST {TOKEN_PATH}: no {' or '.join(TOKEN_FIELDS)} in {answer}")


def _schema(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return openapi["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else schema


def token_endpoint(base_url: str, login: str, password: str) -> TokenEndpoint | None:
    """How to get a token from this gateway; None when it has no token endpoint."""
    openapi = httpx.get(f"{base_url}/openapi.json", timeout=30).raise_for_status().json()
    operation = openapi.get("paths", {}).get(TOKEN_PATH, {}).get("post")
    if operation is None:
        return None
    content = operation.get("requestBody", {}).get("content", {})
    as_form = "application/x-www-form-urlencoded" in content
    media = content.get("application/x-www-form-urlencoded") or content.get("application/json")
    fields = set(_schema(openapi, (media or {}).get("schema", {})).get("properties", {}))
    login_field = next((name for name in LOGIN_FIELDS if name in fields), "username")
    password_field = next((name for name in PASSWORD_FIELDS if name in fields), "password")
    return TokenEndpoint(base_url, login, password, as_form, login_field, password_field)


class BearerAuth(httpx.Auth):
    """httpx auth that sends the token and fetches a new one once on a 401 (it expired)."""

    def __init__(self, endpoint: TokenEndpoint) -> None:
        self.endpoint = endpoint
        self._token: str | None = None
        self._lock = threading.Lock()

    def token(self, renew: bool = False) -> str:
        with self._lock:
            if self._token is None or renew:
                self._token = self.endpoint.fetch()
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(renew=True)}"
            yield request
