"""End-to-end fixtures: the real processes of the Procfile (attendance, its relay, churn,
gateway) on free ports, over databases and a RabbitMQ virtual host of their own, started by the
project's launcher (e2e_stack.py); tests talk HTTP only."""

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from e2e_stack import Stack, launch_stack
from e2e_support import unique_email

from frequenta_ops.stack import own_vhost

RABBITMQ_URL = os.environ.get("FREQUENTA_E2E_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    """The AMQP URL of a virtual host of the run's own, deleted afterwards with all it holds;
    the default vhost if rabbitmqctl is not usable (the run's broker namespace still keeps its
    exchanges and queues apart, as in tests/integration/conftest.py)."""
    with own_vhost(RABBITMQ_URL, f"frequenta-e2e-{uuid.uuid4().hex[:8]}") as url:
        yield url or RABBITMQ_URL


@pytest.fixture(scope="session")
def running_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, rabbitmq_url: str
) -> Iterator[Stack]:
    """Starts the stack once for the session."""
    with launch_stack(request, tmp_path_factory.mktemp("run"), rabbitmq_url) as running:
        yield running


@pytest.fixture(scope="session")
def stack(running_stack: Stack) -> str:
    """The session stack's gateway base URL."""
    return running_stack.base_url


@pytest.fixture(scope="session")
def api(running_stack: Stack) -> Iterator[httpx.Client]:
    """The session stack's gateway, logged in as its first admin (every route lets admins in)."""
    with running_stack.client(timeout=15) as client:
        yield client


@pytest.fixture(scope="session")
def plan(api: httpx.Client) -> dict[str, Any]:
    """A plan of this run's own."""
    code = f"e2e-{uuid.uuid4().hex[:8]}"
    response = api.post(
        "/planos",
        json={"codigo": code, "nome": f"Plano {code}", "duracao_meses": 1, "preco": 119.9},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def new_member(api: httpx.Client, plan: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Registers a member with a unique e-mail (enrolled `data_matricula` ago if given)."""

    def register(**fields: Any) -> dict[str, Any]:
        body = {"nome": "Aluno E2E", "email": unique_email(), "plano_id": plan["id"], **fields}
        response = api.post("/aluno/registro", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return register
