"""Checks that PostgreSQL, RabbitMQ and Redis answer before anything starts; for each one that
does not, says where it was looked for and how to start it, and exits non-zero.

    python -m frequenta_ops.preflight
"""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import asyncpg
import redis.asyncio as aioredis
from sqlalchemy import make_url
from yarl import URL

from frequenta_attendance.settings import AttendanceSettings
from frequenta_kit.settings import BaseProcessSettings

TIMEOUT_SECONDS = 5.0


class InfraSettings(BaseProcessSettings):
    redis_url: str = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Dependency:
    name: str
    address: str
    start_hint: str
    check: Callable[[], Awaitable[object]]


async def _postgres(url: str) -> None:
    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
        timeout=TIMEOUT_SECONDS,
    )
    await conn.close()


async def _rabbitmq(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=TIMEOUT_SECONDS)
    await connection.close()


async def _redis(url: str) -> None:
    client = aioredis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS)
    try:
        await client.ping()
    finally:
        await client.aclose()


def dependencies() -> list[Dependency]:
    infra = InfraSettings()
    database_url = AttendanceSettings().attendance_database_url
    db = make_url(database_url)
    rabbit, cache = URL(infra.rabbitmq_url), URL(infra.redis_url)
    return [
        Dependency(
            "PostgreSQL",
            f"{db.host}:{db.port or 5432}",
            "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            lambda: _postgres(database_url),
        ),
        Dependency(
            "RabbitMQ",
            f"{rabbit.host}:{rabbit.port}",
            "rabbitmq-server -detached  (then wait for: rabbitmq-diagnostics -q ping)",
            lambda: _rabbitmq(infra.rabbitmq_url),
        ),
        Dependency(
            "Redis",
            f"{cache.host}:{cache.port}",
            'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
            lambda: _redis(infra.redis_url),
        ),
    ]


async def check_all(deps: list[Dependency]) -> list[tuple[Dependency, str]]:
    async def probe(dep: Dependency) -> str | None:
        try:
            await asyncio.wait_for(dep.check(), TIMEOUT_SECONDS + 1)
        except Exception as error:  # any failure means "not usable", reported below
            return f"{type(error).__name__}: {error}"
        return None

    results = await asyncio.gather(*(probe(dep) for dep in deps))
    return [(dep, why) for dep, why in zip(deps, results, strict=True) if why is not None]


def main() -> int:
    failures = asyncio.run(check_all(dependencies()))
    for dep, why in failures:
        print(
            f"{dep.name} is not reachable at {dep.address} ({why}).\n"
            f"  Start it with: {dep.start_hint}\n",
            file=sys.stderr,
        )
    if failures:
        print(
            "Frequenta needs PostgreSQL, RabbitMQ and Redis; see the Requirements section of "
            "README.md.",
            file=sys.stderr,
        )
        return 1
    print("PostgreSQL, RabbitMQ and Redis are reachable.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
