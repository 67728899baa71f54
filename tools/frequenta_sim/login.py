"""Logging in to the REST API as a client: an httpx auth that gets a token from POST /auth/token,
sends it, and logs in again when a request answers 401 (tokens live 15 minutes by default; a
demo seeding or a bench may outlive one). Used by the seeder, the benches and the e2e tests."""

import threading
from collections.abc import Generator

import httpx

TOKEN_PATH = "/auth/token"


class LoginFailed(RuntimeError):
    """POST /auth/token refused the credentials (or failed)."""


class TokenAuth(httpx.Auth):
    requires_response_body = True

    def __init__(self, login: str, password: str) -> None:
        self._login = login
        self._password = password
        self._token: str | None = None
        self._lock = threading.Lock()  # the seeder shares one client between threads

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._token
        if token is None:
            token = yield from self._log_in(request)
            if token is None:
                return  # the login's own answer (503, 429) is the answer: retry it later
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            token = yield from self._log_in(request)
            if token is None:
                return
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    def _log_in(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, str | None]:
        """A new token; None when the gateway could not answer now (5xx, or 429 after too
        many logins: its response then stands for the request's, to retry after its
        Retry-After); LoginFailed when it refused the credentials."""
        url = request.url.copy_with(path=TOKEN_PATH, query=None)
        response = yield httpx.Request(
            "POST", url, json={"login": self._login, "senha": self._password}
        )
        if response.status_code >= 500 or response.status_code == 429:
            return None
        if response.status_code != 200:
            raise LoginFailed(
                f"logging in as {self._login!r} at {url}: HTTP {response.status_code} "
                f"{response.text[:300]}"
            )
        token = response.json()["access_token"]
        with self._lock:
            self._token = token
        return token


def admin_credentials() -> tuple[str, str]:
    """The first admin's login and password as the attendance process sees them (its
    FREQUENTA_ADMIN_LOGIN / FREQUENTA_ADMIN_PASSWORD, or the dev default in a local
    environment)."""
    from frequenta_attendance.settings import AttendanceSettings  # the one place they are read

    settings = AttendanceSettings()
    password = settings.first_admin_password
    if password is None:
        raise LoginFailed(
            "no admin password: set FREQUENTA_ADMIN_PASSWORD (or FREQUENTA_ENVIRONMENT=local "
            "for the documented dev default)"
        )
    return settings.admin_login, password


def admin_auth() -> TokenAuth:
    return TokenAuth(*admin_credentials())
