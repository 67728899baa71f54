"""The bench finds the token endpoint in the gateway's OpenAPI and speaks its body (an OAuth2
form or JSON), takes the token, and sends it; a gateway without the endpoint gets no token."""

import importlib.util
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Form, Header
from pydantic import BaseModel

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))
from bench_auth import BearerAuth, token_endpoint  # noqa: E402


class Login(BaseModel):
    login: str
    senha: str


def gateway(kind: str) -> FastAPI:
    app = FastAPI()
    if kind == "form":

        @app.post("/auth/token")
        async def form_token(username: Annotated[str, Form()], password: Annotated[str, Form()]):
            if (username, password) != ("admin", "s3cret"):
                return {"erro": "no"}
            return {"access_token": "form-token", "token_type": "bearer"}

    elif kind == "json":

        @app.post("/auth/token")
        async def json_token(body: Login):
            return {"access_token": f"json-{body.login}-{body.senha}"}

    @app.get("/me")
    async def me(authorization: Annotated[str | None, Header()] = None):
        return {"authorization": authorization}

    return app


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


NO_MULTIPART = importlib.util.find_spec("python_multipart") is None


@pytest.mark.parametrize(
    ("kind", "token"),
    [
        pytest.param(
            "form",
            "form-token",
            marks=pytest.mark.skipif(NO_MULTIPART, reason="FastAPI forms need python-multipart"),
        ),
        ("json", "json-admin-s3cret"),
    ],
)
def test_the_token_is_taken_as_the_endpoint_declares_and_sent(kind, token):
    with serving(gateway(kind)) as base_url:
        endpoint = token_endpoint(base_url, "admin", "s3cret")
        assert endpoint is not None and endpoint.as_form == (kind == "form")
        assert endpoint.fetch() == token
        with httpx.Client(base_url=base_url, auth=BearerAuth(endpoint)) as api:
            assert api.get("/me").json() == {"authorization": f"Bearer {token}"}


def test_no_token_endpoint_means_no_token():
    with serving(gateway("none")) as base_url:
        assert token_endpoint(base_url, "admin", "s3cret") is None
