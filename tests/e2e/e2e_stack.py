"""The real processes of the Procfile (attendance, its relay, workers, scheduler, churn, gateway)
on free ports, over databases of their own, started by the project's launcher: the session's
stack (conftest.py) and the stacks a test needs for itself (e.g. to restart PostgreSQL under
them) are made the same way."""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import make_url

from frequenta_kit.database import drop_database
from frequenta_kit.metrics import DEFAULT_METRICS_PORTS
from frequenta_ops.launcher import Launcher
from frequenta_sim.login import TokenAuth

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"  # FREQUENTA_REDIS_URL's default
SERVER_URL = os.environ.get(
    "FREQUENTA_E2E_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


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


@dataclass(frozen=True)
class Stack:
    base_url: str
    launcher: Launcher
    attendance_database_url: str
    churn_database_url: str
    rabbitmq_url: str
    broker_namespace: str
    # Attendance's gRPC address and the internal token every process of the stack uses.
    attendance_address: str
    internal_token: str
    redis_key_prefix: str
    # The first admin of the stack (FREQUENTA_ADMIN_LOGIN / FREQUENTA_ADMIN_PASSWORD).
    admin_login: str
    admin_password: str
    # Process kind -> the port its Prometheus metrics are served on (the gateway: /metrics).
    metrics_ports: dict[str, int] = field(default_factory=dict)

    def client(self, **options: Any) -> httpx.Client:
        """An HTTP client of the gateway logged in as the first admin."""
        auth = TokenAuth(self.admin_login, self.admin_password)
        return httpx.Client(base_url=self.base_url, auth=auth, **options)


@contextmanager
def launch_stack(
    request: pytest.FixtureRequest,
    run_dir: Path,
    rabbitmq_url: str,
    *,
    server_url: str = SERVER_URL,
    **settings: str,
) -> Iterator[Stack]:
    """Every process of the Procfile, over fresh databases on ``server_url`` (dropped
    afterwards) and a broker namespace of their own; ``settings`` adds FREQUENTA_* variables
    (``relay_poll_interval_seconds="0.2"``). The stack runs with the internal gRPC token
    check on (a token of its own) and Redis keys under a prefix of its own."""
    suffix = uuid.uuid4().hex[:8]
    attendance_db = make_url(server_url).set(database=f"frequenta_e2e_{suffix}")
    churn_db = make_url(server_url).set(database=f"frequenta_e2e_churn_{suffix}")
    attendance_port, churn_port, gateway_port = free_port(), free_port(), free_port()
    # Each process kind's metrics on a free port of its own (the defaults may be taken), and
    # JSON log lines (tests look for request ids in them).
    metrics_ports = {kind: free_port() for kind in DEFAULT_METRICS_PORTS}
    urls = [url.render_as_string(hide_password=False) for url in (attendance_db, churn_db)]
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=urls[0],
        FREQUENTA_CHURN_DATABASE_URL=urls[1],
        FREQUENTA_ATTENDANCE_GRPC_PORT=str(attendance_port),
        FREQUENTA_CHURN_GRPC_PORT=str(churn_port),
        FREQUENTA_ATTENDANCE_ADDRESS=f"127.0.0.1:{attendance_port}",
        FREQUENTA_CHURN_ADDRESS=f"127.0.0.1:{churn_port}",
        FREQUENTA_GATEWAY_PORT=str(gateway_port),
        FREQUENTA_RABBITMQ_URL=rabbitmq_url,
        FREQUENTA_BROKER_NAMESPACE=f"frequenta-e2e-{suffix}",
        FREQUENTA_METRICS_PORTS=json.dumps(metrics_ports),
        FREQUENTA_LOG_JSON="true",
        FREQUENTA_REDIS_KEY_PREFIX=f"frequenta-e2e-{suffix}",
        FREQUENTA_INTERNAL_TOKEN=secrets.token_hex(16),
        # Every test calls from 127.0.0.1, and many log in as the same admin: writes and logins
        # are not limited unless a test asks (rate limits are tested in
        # tests/integration/gateway).
        FREQUENTA_RATE_LIMIT_WRITES="1000000/minute",
        # Room for a slow machine in the cache's Redis calls.
        FREQUENTA_CACHE_TIMEOUT_SECONDS="0.5",
        FREQUENTA_RATE_LIMIT_LOGIN_PER_IP="1000000/minute",
        FREQUENTA_RATE_LIMIT_LOGIN_PER_USER="1000000/minute",
        # Secrets of the stack's own, not the dev defaults.
        FREQUENTA_ADMIN_LOGIN="admin",
        FREQUENTA_ADMIN_PASSWORD=secrets.token_urlsafe(16),
        FREQUENTA_JWT_SECRET=secrets.token_urlsafe(48),
    )
    # A test's own settings win over the defaults above (e.g. log_json).
    env.update({f"FREQUENTA_{name.upper()}": value for name, value in settings.items()})
    launcher = Launcher(procfile=ROOT / "Procfile", run_dir=run_dir, env=env)
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
        yield Stack(
            base_url,
            launcher,
            *urls,
            rabbitmq_url,
            env["FREQUENTA_BROKER_NAMESPACE"],
            env["FREQUENTA_ATTENDANCE_ADDRESS"],
            env["FREQUENTA_INTERNAL_TOKEN"],
            env["FREQUENTA_REDIS_KEY_PREFIX"],
            env["FREQUENTA_ADMIN_LOGIN"],
            env["FREQUENTA_ADMIN_PASSWORD"],
            metrics_ports,
        )
    finally:
        launcher.down()
        report_logs(request, launcher)
        for url in urls:
            asyncio.run(drop_database(url))
        forget_keys(env.get("FREQUENTA_REDIS_URL", REDIS_URL), env["FREQUENTA_REDIS_KEY_PREFIX"])


def forget_keys(redis_url: str, prefix: str) -> None:
    """Delete the stack's keys from Redis (its version counters have no TTL); best effort."""
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=1)
        with client:
            keys = list(client.scan_iter(f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
    except (redis.RedisError, OSError):
        pass
