"""Small helpers shared by the end-to-end tests."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(instant: datetime) -> str:
    """ISO-8601 with an offset, as clients send it."""
    return instant.isoformat()


def ago(**delta: float) -> str:
    return iso(now() - timedelta(**delta))


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def unique_email(prefix: str = "aluno") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.com"


def assert_error(
    response: httpx.Response, status: int, codigo: str, campo: str | None = None
) -> dict:
    """The one error body, with the expected status, code and (if given) field."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"erro"}, body
    erro = body["erro"]
    assert set(erro) == {"codigo", "mensagem", "detalhes"}, erro
    assert erro["codigo"] == codigo, erro
    assert erro["mensagem"], erro
    if campo is not None:
        assert campo in [detail["campo"] for detail in erro["detalhes"]], erro
    for detail in erro["detalhes"]:
        assert set(detail) == {"campo", "mensagem"}, detail
    return erro
