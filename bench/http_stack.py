"""The stack ``bench/http_load.py`` loads: every process of the Procfile on free ports over
databases, a RabbitMQ virtual host and a Redis key prefix of its own (frequenta_ops.stack, as the
end-to-end tests start it), plus processes of the bench's own beside it (the ceilings app, a
second gateway). Everything is stopped and dropped on the way out, and the logs' ends are shown
on failure."""

import asyncio
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import redis
from churn_serving import wait
from sqlalchemy import make_url

from frequenta_ops.launcher import Launcher
from frequenta_ops.stack import forget_keys, free_port, launch_stack

SERVER_URL = os.environ.get(
    "FREQUENTA_BENCH_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("FREQUENTA_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Stack:
    base_url: str
    env: dict[str, str]
    run_dir: Path
    launchers: list[Launcher]
    prefixes: set[str] = field(default_factory=set)  # Redis key prefixes to clean up

    @property
    def services(self) -> set[str]:
        """The Procfile's processes but the gateway: what serves the gateway's calls."""
        return set(self.launchers[0].processes) - {"gateway"}

    @property
    def admin(self) -> tuple[str, str]:
        return self.env["FREQUENTA_ADMIN_LOGIN"], self.env["FREQUENTA_ADMIN_PASSWORD"]

    @property
    def redis_prefix(self) -> str:
        return self.env["FREQUENTA_REDIS_KEY_PREFIX"]

    def start(self, name: str, command: str, settings: Mapping[str, str]) -> str:
        """Starts ``command`` beside the stack with the stack's environment plus ``settings``
        and a port of its own (FREQUENTA_GATEWAY_PORT); its base URL once it answers /healthz."""
        port = free_port()
        env = {**self.env, **settings, "FREQUENTA_GATEWAY_PORT": str(port)}
        self.prefixes.add(env["FREQUENTA_REDIS_KEY_PREFIX"])
        run_dir = self.run_dir / name
        run_dir.mkdir()
        (run_dir / "Procfile").write_text(f"{name}: {command}\n")
        launcher = Launcher(procfile=run_dir / "Procfile", run_dir=run_dir, env=env)
        self.launchers.append(launcher)
        launcher.up(timeout=60)
        base_url = f"http://127.0.0.1:{port}"
        wait(lambda: httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200, 60, name)
        return base_url

    def pids(self) -> dict[str, int]:
        """Process name -> pid of everything running (the Procfile's and the bench's own)."""
        return {
            name: pid
            for launcher in self.launchers
            for name in launcher.processes
            if (pid := launcher.pid(name)) is not None
        }

    def postgres_pids(self) -> list[int]:
        """The PostgreSQL backends serving the stack's own databases."""
        names = [
            make_url(self.env[key]).database
            for key in ("FREQUENTA_ATTENDANCE_DATABASE_URL", "FREQUENTA_CHURN_DATABASE_URL")
        ]

        async def query() -> list[int]:
            url = make_url(SERVER_URL).set(drivername="postgresql")
            connection = await asyncpg.connect(url.render_as_string(hide_password=False))
            try:
                rows = await connection.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[])", names
                )
            finally:
                await connection.close()
            return [row["pid"] for row in rows]

        return asyncio.run(query())

    def cpu_groups(self, front: str) -> dict[str, list[int]]:
        """The processes a scenario against process ``front`` makes work, in three groups: that
        HTTP process, the Procfile's other processes, and the stack's PostgreSQL backends."""
        pids = self.pids()
        services = [pid for name, pid in pids.items() if name in self.services]
        return {"http": [pids[front]], "services": services, "postgres": self.postgres_pids()}

    def logs(self, lines: int = 40) -> str:
        return "\n".join(
            launcher.tail(name, lines=lines)
            for launcher in self.launchers
            for name in launcher.processes
        )


def redis_keys(prefix: str) -> list[bytes]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return list(client.scan_iter(match=f"{prefix}:*", count=1000))
    finally:
        client.close()


@contextmanager
def launch(run_dir: Path, settings: Mapping[str, str]) -> Iterator[Stack]:
    """The Procfile's processes; ``settings`` are extra FREQUENTA_* variables (full names)."""
    with launch_stack(
        run_dir,
        label="http",
        settings={
            "FREQUENTA_REDIS_URL": REDIS_URL,
            "FREQUENTA_MODEL_POLL_SECONDS": "0.5",
            # One client (the admin) sends every request and logs in before every run: the
            # limiter still counts each write, but never refuses the load it measures.
            "FREQUENTA_RATE_LIMIT_WRITES": "1000000/minute",
            "FREQUENTA_RATE_LIMIT_LOGIN_PER_IP": "1000000/minute",
            "FREQUENTA_RATE_LIMIT_LOGIN_PER_USER": "1000000/minute",
            **settings,
        },
        server_url=SERVER_URL,
        rabbitmq_url=RABBITMQ_URL,
        new_vhost=True,
    ) as base:
        running = Stack(base.base_url, base.env, run_dir, [base.launcher])
        failed = True
        try:
            yield running
            failed = False
        finally:
            if failed:
                print(running.logs(), file=sys.stderr)
            for each in reversed(running.launchers[1:]):  # the stack's own go with it
                each.down()
            for prefix in running.prefixes:
                forget_keys(REDIS_URL, prefix)
