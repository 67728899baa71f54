"""Bulk check-in ingestion, end to end, on the local PostgreSQL and RabbitMQ (``make bench``).

Starts the real processes (attendance, gateway, relay and N ingestion workers, the Procfile's
commands) on free ports over a database and a broker namespace of their own, then for each
batch: POST /aluno/checkins/lote (JSON), poll the job until it is done, and wait until every
event it wrote to the outbox is published. Prints rows/s next to the raw PostgreSQL COPY rate
of the same rows into a copy of ``checkins`` measured in the same run.

    python bench/bulk_ingest.py [--rows 100000] [--batches 1] [--workers 2] [--members 1000]
                                [--order time|member]

``--batches`` uploads that many batches of ``--rows`` rows at once (e.g. 10 x 100,000 for a
million rows).
"""

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import asyncpg
import httpx
from honcho.environ import parse_procfile
from sqlalchemy import make_url

from frequenta_attendance.chunks import QUEUE
from frequenta_db.attendance import init_attendance_database
from frequenta_kit.broker import Topology
from frequenta_kit.database import drop_database
from frequenta_ops.launcher import Launcher

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get(
    "FREQUENTA_BENCH_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
PROCESSES = ("attendance", "gateway", "relay")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def procfile(directory: Path, workers: int) -> Path:
    commands = dict(parse_procfile((ROOT / "Procfile").read_text()).processes)
    lines = [f"{name}: {commands[name]}" for name in PROCESSES]
    lines += [f"ingest-worker-{n}: {commands['ingest-worker']}" for n in range(1, workers + 1)]
    path = directory / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def make_members(url: str, count: int, days: int) -> list[int]:
    """``count`` members enrolled ``days`` ago."""
    connection = await asyncpg.connect(dsn(url))
    try:
        rows = await connection.fetch(
            "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
            " SELECT 'Bench Member', 'bench-' || n || '@example.com', p.id,"
            " now() - make_interval(days => $2::int)"
            " FROM generate_series(1, $1::int) AS n, planos p WHERE p.codigo = 'mensal'"
            " RETURNING id",
            count,
            days,
        )
        return [row["id"] for row in rows]
    finally:
        await connection.close()


def batch(members: list[int], rows: int, offset: int, order: str) -> list[dict[str, object]]:
    """``rows`` one-hour visits, each with a key, a day apart for each member. ``order``
    "time": in entry order across members, as a turnstile log (each chunk touches every
    member); "member": member by member, as a history export (a chunk touches a few)."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    per_member = -(-(offset + rows) // len(members))
    out = []
    for n in range(offset, offset + rows):
        if order == "time":
            member, day = members[n % len(members)], n // len(members)
        else:
            member, day = members[n // per_member], n % per_member
        entered = base - timedelta(days=day, hours=(n % 7))
        out.append(
            {
                "aluno_id": member,
                "data_entrada": entered.isoformat(),
                "data_saida": (entered + timedelta(hours=1)).isoformat(),
                "dispositivo_id": "catraca-bench",
                "chave_idempotencia": f"bench-{n}",
            }
        )
    return out


async def unpublished(url: str) -> int:
    connection = await asyncpg.connect(dsn(url))
    try:
        return await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await connection.close()


async def copy_rate(url: str, rows: int, members: list[int]) -> float:
    """Rows/s of a plain COPY of the same rows into a copy of checkins (same indexes)."""
    base = datetime.now(UTC) - timedelta(days=1)
    records = [
        (
            members[n % len(members)],
            base - timedelta(days=n // len(members), hours=n % 7),
            base - timedelta(days=n // len(members), hours=n % 7 - 1),
            "importacao",
            "catraca-bench",
            f"copy-{n}",
        )
        for n in range(rows)
    ]
    connection = await asyncpg.connect(dsn(url))
    try:
        await connection.execute(
            "CREATE TABLE bench_copy (LIKE checkins INCLUDING DEFAULTS INCLUDING INDEXES"
            " INCLUDING IDENTITY)"
        )
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "bench_copy",
            records=records,
            columns=[
                "aluno_id",
                "data_entrada",
                "data_saida",
                "origem",
                "dispositivo_id",
                "chave_idempotencia",
            ],
        )
        elapsed = time.perf_counter() - started
        await connection.execute("DROP TABLE bench_copy")
        return rows / elapsed
    finally:
        await connection.close()


async def remove_topology(namespace: str) -> None:
    """Delete the run's queues and exchanges (a namespace of its own in the default vhost)."""
    topology = Topology(namespace=namespace)
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        for queue in (topology.queue(QUEUE), topology.dead_letter_queue(QUEUE)):
            await channel.queue_delete(queue)
        for exchange in (
            topology.work_exchange,
            topology.dead_letter_exchange,
            topology.events_exchange,
        ):
            await channel.exchange_delete(exchange)


def upload(base_url: str, rows: list[dict[str, object]]) -> tuple[str, float]:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        started = time.perf_counter()
        response = client.post("/aluno/checkins/lote", json={"checkins": rows})
        response.raise_for_status()
        return response.headers["location"], time.perf_counter() - started


def wait_done(base_url: str, location: str, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=30) as client:
        while True:
            job = client.get(location).json()
            if job["estado"] in ("concluido", "falhou"):
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job not done after {timeout:.0f}s: {job}")
            time.sleep(0.05)


def run(args: argparse.Namespace) -> None:
    suffix = uuid.uuid4().hex[:8]
    url = make_url(SERVER_URL).set(database=f"frequenta_bench_{suffix}")
    database_url = url.render_as_string(hide_password=False)
    attendance_port, gateway_port = free_port(), free_port()
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=database_url,
        FREQUENTA_ATTENDANCE_GRPC_PORT=str(attendance_port),
        FREQUENTA_ATTENDANCE_ADDRESS=f"127.0.0.1:{attendance_port}",
        FREQUENTA_GATEWAY_PORT=str(gateway_port),
        FREQUENTA_RABBITMQ_URL=RABBITMQ_URL,
        FREQUENTA_BROKER_NAMESPACE=f"frequenta-bench-{suffix}",
        FREQUENTA_LOG_LEVEL="WARNING",
    )
    total = args.rows * args.batches
    asyncio.run(init_attendance_database(database_url))
    try:
        jobs, timings, copy = measure(args, env, database_url, gateway_port, total)
    finally:
        asyncio.run(drop_database(database_url))
        asyncio.run(remove_topology(env["FREQUENTA_BROKER_NAMESPACE"]))
    report(args, jobs, timings, copy, total)


def measure(
    args: argparse.Namespace, env: dict[str, str], database_url: str, port: int, total: int
) -> tuple[list[dict[str, object]], dict[str, float], float]:
    # Each member gets a visit a day, back in time from yesterday: enrolled before the first.
    days = -(-total // args.members) + 10
    members = asyncio.run(make_members(database_url, args.members, days))
    copy = asyncio.run(copy_rate(database_url, total, members))
    with tempfile.TemporaryDirectory() as run_dir:
        launcher = Launcher(procfile(Path(run_dir), args.workers), Path(run_dir), env=env)
        try:
            launcher.up(timeout=60)
            base_url = f"http://127.0.0.1:{port}"
            batches = [
                batch(members, args.rows, b * args.rows, args.order) for b in range(args.batches)
            ]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.batches) as pool:
                uploads = list(pool.map(lambda rows: upload(base_url, rows), batches))
            accepted = time.perf_counter() - started
            with ThreadPoolExecutor(max_workers=args.batches) as pool:
                jobs = list(pool.map(lambda up: wait_done(base_url, up[0], args.timeout), uploads))
            done = time.perf_counter() - started
            while asyncio.run(unpublished(database_url)):
                if time.perf_counter() - started > args.timeout:
                    raise TimeoutError("events still unpublished")
                time.sleep(0.05)
            published = time.perf_counter() - started
        finally:
            launcher.down()
            if args.keep_logs:
                for name in launcher.processes:
                    print(launcher.tail(name, lines=20), file=sys.stderr)
    timings = {
        "POST accepted (202, rows in the outbox)": accepted,
        "job done (rows committed)": done,
        "events published (outbox drained)": published,
    }
    return jobs, timings, copy


def report(
    args: argparse.Namespace,
    jobs: list[dict[str, object]],
    timings: dict[str, float],
    copy: float,
    total: int,
) -> None:
    stored = sum(int(job["aceitas"]) for job in jobs)  # type: ignore[call-overload]
    states = {str(job["estado"]) for job in jobs}
    print(
        f"\nBulk ingestion: {args.batches} x {args.rows:,} rows in {args.order} order,"
        f" {args.members:,} members, {args.workers} worker(s)"
    )
    print(f"{'measure':<46} {'seconds':>9} {'rows/s':>10}")
    print("-" * 67)
    for label, seconds in timings.items():
        print(f"{label:<46} {seconds:>9.2f} {total / seconds:>10,.0f}")
    print(f"{'raw COPY into a copy of checkins':<46} {total / copy:>9.2f} {copy:>10,.0f}")
    end_to_end = total / timings["events published (outbox drained)"]
    print(f"ingestion / raw COPY: {end_to_end / copy:.2f}")
    print(f"rows stored: {stored:,} of {total:,}; job states: {', '.join(sorted(states))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows per batch (max 100,000)")
    parser.add_argument("--batches", type=int, default=1, help="batches uploaded at once")
    parser.add_argument("--workers", type=int, default=2, help="ingestion worker processes")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument(
        "--order",
        choices=["time", "member"],
        default="time",
        help="rows in entry order (a turnstile log) or member by member (a history export)",
    )
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--keep-logs", action="store_true", help="print the processes' logs")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
