"""End-to-end fixtures: the real processes of the Procfile (attendance, its relay, churn,
gateway) on free ports, over databases and a RabbitMQ virtual host of their own, started by the
project's launcher; tests talk HTTP only."""

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url
from yarl import URL

from frequenta_kit.database import drop_database
from frequenta_ops.launcher import Launcher

ROOT = Path(__file__).resolve().parents[2]
SERVER_URL = os.environ.get(
    "FREQUENTA_E2E_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_E2E_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(base_url: str, timeout: float = 30.0) -> None:
    """Poll /readyz with a deadline (both gRPC services SERVING behind the gateway)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/readyz", timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    raise RuntimeError(f"gateway not ready after {timeout:.0f}s: {last}")


def report_logs(request: pytest.FixtureRequest, launcher: Launcher) -> None:
    """After failures, show the end of each process's log (server-side tracebacks)."""
    if not request.session.testsfailed:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        for name in launcher.processes:
            reporter.write_line(launcher.tail(name, lines=60))


def rabbitmqctl(*args: str) -> bool:
    if shutil.which("rabbitmqctl") is None:
        return False
    try:
        done = subprocess.run(["rabbitmqctl", "-q", *args], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="session")
def rabbitmq_url() -> Iterator[str]:
    """The AMQP URL of a virtual host of the run's own, deleted afterwards with all it holds;
    the default vhost if rabbitmqctl is not usable (the run's broker namespace still keeps its
    exchanges and queues apart, as in tests/integration/conftest.py)."""
    name = f"frequenta-e2e-{uuid.uuid4().hex[:8]}"
    base = URL(RABBITMQ_URL)
    made = rabbitmqctl("add_vhost", name) and rabbitmqctl(
        "set_permissions", "-p", name, base.user or "guest", ".*", ".*", ".*"
    )
    try:
        yield str(base.with_path(f"/{name}")) if made else RABBITMQ_URL
    finally:
        rabbitmqctl("delete_vhost", name)


@pytest.fixture(scope="session")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, rabbitmq_url: str
) -> Iterator[str]:
    """Starts the stack once for the session; yields the gateway's base URL."""
    suffix = uuid.uuid4().hex[:8]
    attendance_db = make_url(SERVER_URL).set(database=f"frequenta_e2e_{suffix}")
    churn_db = make_url(SERVER_URL).set(database=f"frequenta_e2e_churn_{suffix}")
    attendance_port, churn_port, gateway_port = free_port(), free_port(), free_port()
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=attendance_db.render_as_string(hide_password=False),
        FREQUENTA_CHURN_DATABASE_URL=churn_db.render_as_string(hide_password=False),
        FREQUENTA_ATTENDANCE_GRPC_PORT=str(attendance_port),
        FREQUENTA_CHURN_GRPC_PORT=str(churn_port),
        FREQUENTA_ATTENDANCE_ADDRESS=f"127.0.0.1:{attendance_port}",
        FREQUENTA_CHURN_ADDRESS=f"127.0.0.1:{churn_port}",
        FREQUENTA_GATEWAY_PORT=str(gateway_port),
        FREQUENTA_RABBITMQ_URL=rabbitmq_url,
        FREQUENTA_BROKER_NAMESPACE=f"frequenta-e2e-{suffix}",
    )
    launcher = Launcher(procfile=ROOT / "Procfile", run_dir=tmp_path_factory.mktemp("run"), env=env)
    try:
        subprocess.run(
            [sys.executable, "-m", "frequenta_db", "init"],
            env=env,
            cwd=ROOT,
            check=True,
            timeout=120,
        )
        launcher.up(timeout=60)
        base_url = f"http://127.0.0.1:{gateway_port}"
        wait_until_ready(base_url)
        yield base_url
    finally:
        launcher.down()
        report_logs(request, launcher)
        for url in (attendance_db, churn_db):
            asyncio.run(drop_database(url.render_as_string(hide_password=False)))


@pytest.fixture(scope="session")
def api(stack: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack, timeout=15) as client:
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


def unique_email(prefix: str = "aluno") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.com"


@pytest.fixture
def new_member(api: httpx.Client, plan: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Registers a member with a unique e-mail (enrolled `data_matricula` ago if given)."""

    def register(**fields: Any) -> dict[str, Any]:
        body = {"nome": "Aluno E2E", "email": unique_email(), "plano_id": plan["id"], **fields}
        response = api.post("/aluno/registro", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return register
