"""Churn serving and training figures (``make bench``): one table.

In process (no server):
- scoring every member of a gym of ``--score-members`` (100,000: the simulated demo gym's
  members copied under new ids) as of one instant: the features (features_at), one ONNX call,
  and the at-risk snapshot (features, ONNX, ranking, bands); explaining a page of 50;
- reading those members and their visits from churn's projection (``active_columns``, binary
  COPY) in a throwaway database: what computing the list per request would cost.

Through the real processes (the Procfile's, started by the project's launcher on free ports,
over databases and a RabbitMQ virtual host of their own): the simulated gym seeded over REST,
a retraining job end to end (POST /modelo/retreino to `concluido`, with the export and training
stages from the retrain worker's log), then after a warm-up ``--calls`` sequential calls each
of GetChurnRisk over gRPC, GET /aluno/{id}/risco-churn over REST, and a page of the at-risk
list over both: p50 / p90 / p99 / max.

    python bench/churn_serving.py [--members 3000 --months 15 --seed 42]
                                  [--score-members 100000] [--calls 1000] [--parts all]
"""

import argparse
import asyncio
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import numpy as np
from sqlalchemy import make_url

from frequenta.churn.v1 import churn_pb2, churn_pb2_grpc
from frequenta_kit.grpc_auth import internal_sync_channel
from frequenta_ops.stack import Stack, launch_stack

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from churn_scoring import projection_read, scoring  # noqa: E402

SERVER_URL = os.environ.get(
    "FREQUENTA_BENCH_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
EXPORTED = re.compile(r"exported (\d+) members in ([\d.]+)s and (\d+) visits in ([\d.]+)s")
SUCCEEDED = re.compile(r"retraining job \S+ succeeded in ([\d.]+)s")


@dataclass
class Table:
    rows: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, measure: str, value: str, goal: str = "") -> None:
        self.rows.append((measure, value, goal))
        print(f"  {measure}: {value}", flush=True)

    def render(self) -> str:
        widths = [
            max(len(row[i]) for row in [("measure", "value", "goal"), *self.rows]) for i in range(3)
        ]
        lines = [
            " | ".join(text.ljust(width) for text, width in zip(row, widths, strict=True))
            for row in [("measure", "value", "goal"), *self.rows]
        ]
        lines.insert(1, "-+-".join("-" * width for width in widths))
        return "\n".join(lines)


def wait(probe: Callable[[], object], within: float, what: str, every: float = 0.25):
    deadline = time.monotonic() + within
    while True:
        try:
            if result := probe():
                return result
        except (httpx.HTTPError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not after {within:.0f}s")
        time.sleep(every)


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def fetch(url: str, sql: str) -> list:
    async def run() -> list:
        connection = await asyncpg.connect(dsn(url))
        try:
            return await connection.fetch(sql)
        finally:
            await connection.close()

    return asyncio.run(run())


def seed(running: Stack, members: int, months: int, seed_value: int, table: Table) -> int:
    from frequenta_sim.generator import simulate
    from frequenta_sim.loader import GymLoader
    from frequenta_sim.params import SimParams

    until = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    gym = simulate(SimParams(members=members, months=months), seed=seed_value, until=until)
    started = time.perf_counter()
    with running.client(timeout=120) as api:
        report = GymLoader(api, batch_size=20_000, workers=4, job_timeout=600, progress=False).load(
            gym
        )
    if report.accepted != gym.visit_count:
        raise RuntimeError("\n".join(report.lines()))
    table.add(
        f"seeding the gym over REST ({members:,} members, {months} months)",
        f"{time.perf_counter() - started:.1f} s ({gym.visit_count:,} visits)",
    )

    def caught_up() -> bool:
        rows = fetch(running.churn_database_url, "SELECT count(*) FROM checkins")
        return rows[0][0] >= gym.visit_count

    wait(caught_up, 300, "churn's projection catching up", every=1)
    return gym.visit_count


def retrain(running: Stack, table: Table) -> None:
    with running.client(timeout=30) as api:
        started = time.perf_counter()
        response = api.post("/modelo/retreino", json={"promover_se_melhor": True})
        response.raise_for_status()
        location = response.headers["location"]
        job = wait(
            lambda: (j := api.get(location).json())["estado"] in {"concluido", "falhou"} and j,
            1800,
            "the retraining job",
            every=0.2,
        )
        seconds = time.perf_counter() - started
    if job["estado"] != "concluido":
        raise RuntimeError(f"retraining failed: {job['erro']}")
    log = running.launcher.log_file("retrain-worker").read_text()
    exported = EXPORTED.findall(log)[-1]
    total = float(SUCCEEDED.findall(log)[-1])
    export_seconds = float(exported[1]) + float(exported[3])
    table.add("retraining job end to end (POST to concluido)", f"{seconds:.1f} s")
    table.add(f"  ExportMembers ({int(exported[0]):,} members)", f"{float(exported[1]):.1f} s")
    table.add(f"  ExportVisits ({int(exported[2]):,} visits)", f"{float(exported[3]):.1f} s")
    table.add(
        "  training (columns, snapshots, fits, evaluation, ONNX)", f"{total - export_seconds:.1f} s"
    )


def percentiles(samples: list[float]) -> str:
    ms = np.array(samples) * 1000
    p50, p90, p99 = np.percentile(ms, [50, 90, 99])
    return f"p50 {p50:.2f} / p90 {p90:.2f} / p99 {p99:.2f} / max {ms.max():.2f} ms"


def timed(call: Callable[[], object], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def latency(running: Stack, calls: int, table: Table) -> None:
    rows = fetch(
        running.churn_database_url,
        "SELECT id FROM alunos WHERE data_matricula IS NOT NULL AND data_cancelamento IS NULL"
        " ORDER BY id LIMIT 200",
    )
    ids = [row[0] for row in rows]
    channel = internal_sync_channel(running.churn_address, running.internal_token)
    stub = churn_pb2_grpc.ChurnServiceStub(channel)
    position = iter(range(10**9))

    def next_id() -> int:
        return ids[next(position) % len(ids)]

    def grpc_risk() -> None:
        stub.GetChurnRisk(churn_pb2.GetChurnRiskRequest(member_id=next_id()), timeout=5)

    def grpc_list() -> None:
        stub.ListAtRiskMembers(churn_pb2.ListAtRiskMembersRequest(page_size=50), timeout=5)

    with running.client(timeout=10) as api:
        api.get("/planos").raise_for_status()  # logs in before anything is timed

        def rest_risk() -> None:
            api.get(f"/aluno/{next_id()}/risco-churn").raise_for_status()

        def rest_list() -> None:
            api.get("/alunos/risco", params={"tamanho": 50}).raise_for_status()

        for name, call, n, goal in (
            ("GetChurnRisk over gRPC", grpc_risk, calls, "p99 < 5 ms"),
            ("GET /aluno/{id}/risco-churn over REST", rest_risk, calls, ""),
            ("ListAtRiskMembers over gRPC (page of 50)", grpc_list, max(calls // 5, 50), ""),
            ("GET /alunos/risco over REST (page of 50, names)", rest_list, max(calls // 5, 50), ""),
        ):
            timed(call, max(n // 5, 50))  # warm-up
            table.add(f"{name}, {n:,} sequential calls", percentiles(timed(call, n)), goal)
    channel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--months", type=int, default=15)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--score-members", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument(
        "--parts",
        default="scoring,read,stack",
        help="comma-separated: scoring (in process), read (projection read), stack (processes)",
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    table = Table()
    if "scoring" in parts:
        scoring(args.score_members, table)
    if "read" in parts:
        projection_read(SERVER_URL, args.score_members, table)
    if "stack" in parts:
        with (
            tempfile.TemporaryDirectory(prefix="frequenta-bench-") as run_dir,
            launch_stack(
                Path(run_dir),
                label="bench",
                settings={"FREQUENTA_LOG_LEVEL": "INFO"},  # the retrain worker's stage timings
                server_url=SERVER_URL,
                rabbitmq_url=RABBITMQ_URL,
                new_vhost=True,
            ) as running,
        ):
            seed(running, args.members, args.months, args.seed, table)
            retrain(running, table)
            latency(running, args.calls, table)
    print()
    print(table.render())


if __name__ == "__main__":
    main()
