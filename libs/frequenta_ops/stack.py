"""A whole Frequenta stack beside any other on the machine: the processes of a Procfile, started by
the launcher on free ports, over databases of their own on the local PostgreSQL, a RabbitMQ broker
namespace (and, if asked, virtual host), a Redis key prefix and secrets of their own. Everything
is stopped, dropped and deleted on the way out. The end-to-end tests (tests/e2e/e2e_stack.py)
and the benchmarks (bench/) start their stacks with it.

    with launch_stack(run_dir, label="bench") as stack:
        with stack.client(timeout=30) as api: ...
"""

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy import make_url
from yarl import URL

from frequenta_kit.database import drop_database
from frequenta_kit.metrics import DEFAULT_METRICS_PORTS
from frequenta_ops.launcher import Launcher
from frequenta_ops.replicas import free_port
from frequenta_sim.login import TokenAuth

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile"
SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"  # FREQUENTA_REDIS_URL's default


def rabbitmqctl(*args: str) -> bool:
    """Run ``rabbitmqctl args``; False when it is missing or fails (e.g. not run as root)."""
    if shutil.which("rabbitmqctl") is None:
        return False
    try:
        done = subprocess.run(
            ["rabbitmqctl", "-q", *args], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@contextmanager
def own_vhost(base_url: str, name: str) -> Iterator[str | None]:
    """The AMQP URL of a new virtual host ``name`` on ``base_url``'s broker, open to its user;
    None if rabbitmqctl could not make it. Deleted afterwards with everything in it."""
    base = URL(base_url)
    made = rabbitmqctl("add_vhost", name) and rabbitmqctl(
        "set_permissions", "-p", name, base.user or "guest", ".*", ".*", ".*"
    )
    try:
        yield str(base.with_path(f"/{name}")) if made else None
    finally:
        rabbitmqctl("delete_vhost", name)


@dataclass(frozen=True)
class Stack:
    base_url: str  # the gateway's
    launcher: Launcher  # its env is the stack's whole environment
    attendance_database_url: str
    churn_database_url: str
    rabbitmq_url: str
    broker_namespace: str
    # The gRPC addresses and the internal token every process of the stack uses.
    attendance_address: str
    churn_address: str
    internal_token: str
    redis_url: str
    redis_key_prefix: str
    # The first admin of the stack (FREQUENTA_ADMIN_LOGIN / FREQUENTA_ADMIN_PASSWORD).
    admin_login: str
    admin_password: str
    # Process kind -> the port its Prometheus metrics are served on (the gateway: /metrics).
    metrics_ports: dict[str, int]

    @property
    def env(self) -> dict[str, str]:
        return self.launcher.env

    @property
    def base_urls(self) -> list[str]:
        """Every gateway replica's base URL, the first one (``base_url``) first."""
        endpoints = (self.launcher.endpoint(name) for name in self.launcher.replicas_of("gateway"))
        return [endpoint.url for endpoint in endpoints if endpoint is not None]

    def replica_metrics_ports(self, kind: str) -> dict[str, int]:
        """Process name -> metrics port, for every replica of worker kind ``kind``."""
        return {
            name: json.loads(self.launcher.env_of(name)["FREQUENTA_METRICS_PORTS"])[kind]
            for name in self.launcher.replicas_of(kind)
        }

    def client(self, **options: Any) -> httpx.Client:
        """An HTTP client of the gateway logged in as the first admin."""
        auth = TokenAuth(self.admin_login, self.admin_password)
        return httpx.Client(base_url=self.base_url, auth=auth, **options)


def stack_env(name: str, server_url: str, rabbitmq_url: str) -> dict[str, str]:
    """The FREQUENTA_* variables of a stack called ``name``: databases named after it on
    ``server_url``, free ports (gRPC, gateway, each process kind's metrics), its broker namespace
    and Redis key prefix, and secrets of its own rather than the dev defaults."""
    database = name.replace("-", "_")
    urls = [
        make_url(server_url).set(database=each).render_as_string(hide_password=False)
        for each in (database, f"{database}_churn")
    ]
    attendance, churn, gateway = free_port(), free_port(), free_port()
    return {
        "FREQUENTA_ATTENDANCE_DATABASE_URL": urls[0],
        "FREQUENTA_CHURN_DATABASE_URL": urls[1],
        "FREQUENTA_ATTENDANCE_GRPC_PORT": str(attendance),
        "FREQUENTA_CHURN_GRPC_PORT": str(churn),
        "FREQUENTA_ATTENDANCE_ADDRESS": f"127.0.0.1:{attendance}",
        "FREQUENTA_CHURN_ADDRESS": f"127.0.0.1:{churn}",
        "FREQUENTA_GATEWAY_PORT": str(gateway),
        "FREQUENTA_METRICS_PORTS": json.dumps(
            {kind: free_port() for kind in DEFAULT_METRICS_PORTS}
        ),
        "FREQUENTA_RABBITMQ_URL": rabbitmq_url,
        "FREQUENTA_BROKER_NAMESPACE": name,
        "FREQUENTA_REDIS_KEY_PREFIX": name,
        "FREQUENTA_INTERNAL_TOKEN": secrets.token_hex(16),
        "FREQUENTA_ADMIN_LOGIN": "admin",
        "FREQUENTA_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "FREQUENTA_JWT_SECRET": secrets.token_urlsafe(48),
    }


def stack_of(launcher: Launcher) -> Stack:
    """The stack ``launcher`` runs, read from its environment."""
    env = launcher.env
    return Stack(
        base_url=f"http://127.0.0.1:{env['FREQUENTA_GATEWAY_PORT']}",
        launcher=launcher,
        attendance_database_url=env["FREQUENTA_ATTENDANCE_DATABASE_URL"],
        churn_database_url=env["FREQUENTA_CHURN_DATABASE_URL"],
        rabbitmq_url=env["FREQUENTA_RABBITMQ_URL"],
        broker_namespace=env["FREQUENTA_BROKER_NAMESPACE"],
        attendance_address=env["FREQUENTA_ATTENDANCE_ADDRESS"],
        churn_address=env["FREQUENTA_CHURN_ADDRESS"],
        internal_token=env["FREQUENTA_INTERNAL_TOKEN"],
        redis_url=env.get("FREQUENTA_REDIS_URL", REDIS_URL),
        redis_key_prefix=env["FREQUENTA_REDIS_KEY_PREFIX"],
        admin_login=env["FREQUENTA_ADMIN_LOGIN"],
        admin_password=env["FREQUENTA_ADMIN_PASSWORD"],
        metrics_ports=json.loads(env["FREQUENTA_METRICS_PORTS"]),
    )


def wait_until_ready(url: str, timeout: float = 60.0) -> None:
    """Poll ``url`` (the gateway's /readyz: both gRPC services SERVING behind it) until it
    answers 200, with a deadline."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout:.0f}s: {last}")


def forget_keys(redis_url: str, prefix: str) -> None:
    """Delete the keys under ``prefix`` from Redis (version counters have no TTL); best effort."""
    try:
        client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=1)
        with client:
            keys = list(client.scan_iter(f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
    except (redis.RedisError, OSError):
        pass


def drop(database_url: str) -> None:
    asyncio.run(drop_database(database_url))


@contextmanager
def launch_stack(
    run_dir: Path,
    *,
    label: str = "stack",
    settings: Mapping[str, str] | None = None,
    procfile: Path = PROCFILE,
    server_url: str = SERVER_URL,
    rabbitmq_url: str = RABBITMQ_URL,
    new_vhost: bool = False,
    ready_path: str = "/readyz",
    replicas: Mapping[str, int] | None = None,
) -> Iterator[Stack]:
    """Every process of ``procfile`` (logs and pid files in ``run_dir``), over fresh databases
    created by ``python -m frequenta_db init`` and names of their own, ``frequenta-<label>-<id>``
    (stack_env); ``settings`` adds or overrides FREQUENTA_* variables (full names). With
    ``new_vhost``, a RabbitMQ virtual host of the stack's own on ``rabbitmq_url``'s broker (its
    default one where rabbitmqctl is not usable). Yields once the gateway answers ``ready_path``
    (/healthz for a Procfile without churn); then stops the processes and drops the databases,
    the Redis keys and the virtual host. ``replicas`` runs several copies of a process kind
    (``{"relay": 3, "gateway": 2}``), each on ports of its own (frequenta_ops.replicas);
    ``Stack.base_urls`` lists the gateways."""
    name = f"frequenta-{label}-{uuid.uuid4().hex[:8]}"
    with ExitStack() as cleanup:
        if new_vhost:
            rabbitmq_url = cleanup.enter_context(own_vhost(rabbitmq_url, name)) or rabbitmq_url
        env = {**os.environ, **stack_env(name, server_url, rabbitmq_url), **(settings or {})}
        launcher = Launcher(procfile=procfile, run_dir=run_dir, env=env, replicas=replicas)
        stack = stack_of(launcher)
        cleanup.callback(forget_keys, stack.redis_url, stack.redis_key_prefix)
        for url in (stack.attendance_database_url, stack.churn_database_url):
            cleanup.callback(drop, url)
        cleanup.callback(launcher.down)
        command = [sys.executable, "-m", "frequenta_db", "init"]
        subprocess.run(command, env=env, cwd=ROOT, check=True, timeout=120)
        launcher.up(timeout=90)
        wait_until_ready(f"{stack.base_url}{ready_path}")
        yield stack
