"""Bulk check-in ingestion, end to end, on the local PostgreSQL and RabbitMQ (``make bench``).

Starts the real processes (attendance, gateway, relay and N ingestion workers, the Procfile's
commands) on free ports over databases and a RabbitMQ virtual host of their own
(frequenta_ops.stack), then for each
scenario: POST /aluno/checkins/lote (JSON) its batches at once, poll the jobs until they are
done, and wait until every event they wrote to the outbox is published. Prints one table: the
time to the last 202, rows/s to the rows committed and to the events published, the raw
PostgreSQL COPY rate of as many rows into a copy of ``checkins`` (same indexes) measured in the
same run, and the ratio of ingestion (to events published) to raw COPY.

    python bench/bulk_ingest.py [--scenarios 100000x1,100000x10] [--workers 2] [--members 1000]
                                [--order time|member]

A scenario ``RxB`` uploads B batches of R rows at once (a batch holds at most 100,000 rows:
a million rows are 10 x 100,000). Scenarios run one after the other on the same processes,
each over rows of its own (other keys, earlier days).
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from cpu_time import backend_pids, cpu_by_name
from honcho.environ import parse_procfile
from sqlalchemy import make_url

from frequenta_ops.launcher import Launcher
from frequenta_ops.stack import Stack, launch_stack
from frequenta_sim.login import TokenAuth

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get(
    "FREQUENTA_BENCH_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
PROCESSES = ("attendance", "gateway", "relay")


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
    """``rows`` one-hour visits, each with a key, a day apart for each member, rows ``offset``
    on (row n is the member's visit n // members days before yesterday). ``order`` "time": in
    entry order across members, as a turnstile log; "member": member by member, as a history
    export."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    count = len(members)
    if order == "time":
        numbers = range(offset, offset + rows)
    else:
        numbers = sorted(range(offset, offset + rows), key=lambda n: (n % count, n))
    out = []
    for n in numbers:
        entered = base - timedelta(days=n // count, hours=n % 7)
        out.append(
            {
                "aluno_id": members[n % count],
                "data_entrada": entered.isoformat(),
                "data_saida": (entered + timedelta(hours=1)).isoformat(),
                "dispositivo_id": "catraca-bench",
                "chave_idempotencia": f"bench-{n}",
            }
        )
    return out


def watched(launcher: Launcher, database_url: str) -> dict[int, str]:
    """The run's processes by pid: ours by Procfile name, the database's backends, RabbitMQ."""
    pids: dict[int, str] = {}
    for name in launcher.processes:
        pid = launcher.pid(name)
        if pid is not None:
            pids[pid] = "ingest-worker (all)" if name.startswith("ingest-worker") else name
    pids.update(dict.fromkeys(asyncio.run(backend_pids(dsn(database_url))), "postgres"))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"beam.smp" in (entry / "cmdline").read_bytes():
                    pids[int(entry.name)] = "rabbitmq (whole broker)"
            except OSError:
                continue
    return pids


async def unpublished(url: str) -> int:
    connection = await asyncpg.connect(dsn(url))
    try:
        return await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await connection.close()


async def copy_rate(url: str, rows: int, members: list[int]) -> float:
    """Rows/s of a plain COPY of as many rows into a copy of checkins (same indexes; no foreign
    key, as ``LIKE`` copies none)."""
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


@dataclass(frozen=True)
class Scenario:
    rows: int  # per batch
    batches: int

    @property
    def total(self) -> int:
        return self.rows * self.batches

    @classmethod
    def parse(cls, text: str) -> "Scenario":
        rows, _, batches = text.partition("x")
        return cls(int(rows), int(batches or 1))


@dataclass(frozen=True)
class Result:
    scenario: Scenario
    accepted: float  # seconds to the last 202
    committed: float  # to every job done
    published: float  # to the outbox drained
    copy: float  # raw COPY rows/s
    started: float  # first chunk started, seconds after the first POST (from the jobs)
    stored: int
    states: frozenset[str]
    cpu: dict[str, float]  # CPU seconds per process group, POST to events published


def run(args: argparse.Namespace) -> None:
    scenarios = [Scenario.parse(part) for part in args.scenarios.split(",")]
    with (
        tempfile.TemporaryDirectory() as run_dir,
        launch_stack(
            Path(run_dir),
            label="bench",
            procfile=procfile(Path(run_dir), args.workers),
            settings={"FREQUENTA_LOG_LEVEL": "WARNING"},
            server_url=SERVER_URL,
            rabbitmq_url=RABBITMQ_URL,
            new_vhost=True,
            ready_path="/healthz",  # no churn behind this gateway
        ) as stack,
    ):
        results = measure(args, stack, scenarios)
    report(args, results)


def measure(args: argparse.Namespace, stack: Stack, scenarios: list[Scenario]) -> list[Result]:
    # Each member gets a visit a day, back in time from yesterday: enrolled before the first.
    days = -(-sum(s.total for s in scenarios) // args.members) + 10
    database_url = stack.attendance_database_url
    members = asyncio.run(make_members(database_url, args.members, days))
    results = []
    try:
        offset = 0
        for scenario in scenarios:
            copy = asyncio.run(copy_rate(database_url, scenario.total, members))
            batches = []
            for _ in range(scenario.batches):
                batches.append(batch(members, scenario.rows, offset, args.order))
                offset += scenario.rows
            results.append(one_scenario(args, stack, scenario, batches, copy))
    finally:
        if args.keep_logs:
            for name in stack.launcher.processes:
                print(stack.launcher.tail(name, lines=20), file=sys.stderr)
    return results


def one_scenario(
    args: argparse.Namespace,
    stack: Stack,
    scenario: Scenario,
    batches: list[list[dict[str, object]]],
    copy: float,
) -> Result:
    base_url, database_url, launcher = stack.base_url, stack.attendance_database_url, stack.launcher
    auth = logged_in(stack)  # before the clock starts
    bodies = [json.dumps({"checkins": rows}).encode() for rows in batches]
    cpu_before = cpu_by_name(watched(launcher, database_url))
    started_wall = datetime.now(UTC)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        uploads = list(pool.map(lambda body: upload(base_url, body, auth), bodies))
    accepted = time.perf_counter() - started
    with ThreadPoolExecutor(max_workers=len(uploads)) as pool:
        jobs = list(pool.map(lambda up: wait_done(base_url, up, args.timeout, auth), uploads))
    committed = time.perf_counter() - started
    while asyncio.run(unpublished(database_url)):
        if time.perf_counter() - started > args.timeout:
            raise TimeoutError("events still unpublished")
        time.sleep(0.02)
    published = time.perf_counter() - started
    cpu_after = cpu_by_name(watched(launcher, database_url))  # new backends counted from 0
    first = min(datetime.fromisoformat(str(job["iniciado_em"])) for job in jobs)
    return Result(
        scenario=scenario,
        accepted=accepted,
        committed=committed,
        published=published,
        copy=copy,
        started=(first - started_wall).total_seconds(),
        stored=sum(int(job["aceitas"]) for job in jobs),  # type: ignore[call-overload]
        states=frozenset(str(job["estado"]) for job in jobs),
        cpu={name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after},
    )


def logged_in(stack: Stack) -> TokenAuth:
    """The stack's first admin's login, with its token already fetched."""
    auth = TokenAuth(stack.admin_login, stack.admin_password)
    with httpx.Client(base_url=stack.base_url, timeout=30, auth=auth) as client:
        client.get("/planos").raise_for_status()
    return auth


def upload(base_url: str, body: bytes, auth: TokenAuth) -> str:
    with httpx.Client(base_url=base_url, timeout=120, auth=auth) as client:
        response = client.post(
            "/aluno/checkins/lote", content=body, headers={"content-type": "application/json"}
        )
        response.raise_for_status()
        return response.headers["location"]


def wait_done(base_url: str, location: str, timeout: float, auth: TokenAuth) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=base_url, timeout=30, auth=auth) as client:
        while True:
            job = client.get(location).json()
            if job["estado"] in ("concluido", "falhou"):
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job not done after {timeout:.0f}s: {job}")
            time.sleep(0.02)


def report(args: argparse.Namespace, results: list[Result]) -> None:
    print(
        f"\nBulk ingestion end to end ({args.order} order, {args.members:,} members,"
        f" {args.workers} ingestion worker(s), {os.cpu_count()} CPUs)"
    )
    header = (
        f"{'rows':>11} {'POST->202':>10} {'first chunk':>12} {'committed':>17}"
        f" {'events published':>17} {'raw COPY':>10} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        total = r.scenario.total
        rows = (
            f"{total:,}" if r.scenario.batches == 1 else f"{r.scenario.batches}x{r.scenario.rows:,}"
        )
        print(
            f"{rows:>11} {r.accepted:>9.2f}s {r.started:>11.2f}s"
            f" {r.committed:>6.2f}s {total / r.committed:>8,.0f}/s"
            f" {r.published:>6.2f}s {total / r.published:>8,.0f}/s"
            f" {r.copy:>8,.0f}/s {total / r.published / r.copy:>6.2f}"
        )
    print(
        "times from the first POST; rows/s over the whole batch; ratio = events published rows/s"
        " / raw COPY rows/s"
    )
    if args.cpu:
        for r in results:
            used = ", ".join(
                f"{name} {seconds:.2f}"
                for name, seconds in sorted(r.cpu.items(), key=lambda item: -item[1])
            )
            print(f"CPU seconds, {r.scenario.total:,} rows: {used}")
    for r in results:
        if r.stored != r.scenario.total or r.states != {"concluido"}:
            print(f"!! {r.scenario}: {r.stored:,} rows stored, jobs {sorted(r.states)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenarios",
        default="100000x1,100000x10",
        help="comma-separated ROWSxBATCHES, batches uploaded at once (at most 100,000 rows each)",
    )
    parser.add_argument("--workers", type=int, default=2, help="ingestion worker processes")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument(
        "--order",
        choices=["time", "member"],
        default="time",
        help="rows in entry order (a turnstile log) or member by member (a history export)",
    )
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--cpu", action="store_true", help="print the CPU time each process group used"
    )
    parser.add_argument("--keep-logs", action="store_true", help="print the processes' logs")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
