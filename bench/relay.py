"""Relay throughput on the local PostgreSQL and RabbitMQ (``make bench``).

Starts the real relay (``python -m frequenta_attendance relay``, the Procfile's command) over a
database and a broker namespace of its own, with a durable quorum queue bound to every event
(as churn's projection is), and for each relay configuration:

1. **a lone event**: one ``checkin.recorded`` committed to the outbox, several times, each
   timed from its commit (``created_at``) to being marked published (``published_at``): the
   relay must still send a single check-in at once (it wakes on the outbox's NOTIFY);
2. **a backlog**: N single ``checkin.recorded`` events of M members committed to the outbox in
   one COPY, timed from that commit until every one is confirmed by the broker and marked
   published: events/s.

    python bench/relay.py [--events 100000] [--members 1000] [--batch-sizes default,2000]
                          [--partitions default] [--runs 1] [--cpu]

``default`` runs the relay with its own default setting (``FREQUENTA_RELAY_BATCH_SIZE``,
``FREQUENTA_RELAY_PARTITIONS`` unset). Prints one table.
"""

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aio_pika
import asyncpg
from cpu_time import backend_pids, cpu_by_name
from sqlalchemy import make_url

from frequenta_attendance import events
from frequenta_attendance.check_in_sql import EVENT_COLUMNS
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.models import Visit
from frequenta_attendance.outbox import EVENTS, PROTOBUF
from frequenta_attendance.settings import AttendanceSettings
from frequenta_db.attendance import init_attendance_database
from frequenta_kit.broker import Topology, declare_event_queue
from frequenta_kit.database import drop_database

ROOT = Path(__file__).resolve().parents[1]
SERVER_URL = os.environ.get(
    "FREQUENTA_BENCH_SERVER_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
RABBITMQ_URL = os.environ.get("FREQUENTA_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
QUEUE = "bench-events"  # bound to every event type, like a consumer's queue
READY = "relay publishing the outbox"
COLUMNS = list(EVENT_COLUMNS)  # an outbox row's columns, as attendance writes them


def dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_ins(count: int, members: int, offset: int) -> list[tuple[object, ...]]:
    """``count`` outbox rows of ``checkin.recorded`` events, built as attendance builds them,
    members taking turns (as single check-ins arrive); ids from ``offset`` on."""
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    rows: list[tuple[object, ...]] = []
    for n in range(offset, offset + count):
        visit = Visit(
            id=n + 1,
            member_id=n % members + 1,
            entered_at=base - timedelta(seconds=n),
            exited_at=None,
            source=CheckInSource.TURNSTILE,
            device_id="catraca-bench",
        )
        envelope = events.check_in_recorded(visit)
        rows.append(
            (
                uuid.UUID(envelope.event_id),
                envelope.event_type,
                EVENTS,
                envelope.event_type,
                envelope.member_id,
                PROTOBUF,
                json.dumps({"schema_version": envelope.schema_version}),
                envelope.SerializeToString(),
                visit.entered_at,
            )
        )
    return rows


async def write(url: str, rows: list[tuple[object, ...]]) -> datetime:
    """Commit ``rows`` to the outbox in one COPY (one transaction, one NOTIFY); the server's
    clock just after the commit."""
    connection = await asyncpg.connect(dsn(url))
    try:
        await connection.copy_records_to_table("outbox", records=rows, columns=COLUMNS)
        return await connection.fetchval("SELECT clock_timestamp()")
    finally:
        await connection.close()


async def lone_latencies(url: str, members: int, times: int, offset: int) -> list[float]:
    """Seconds from commit to marked published of ``times`` events written one at a time,
    each after the previous one went out."""
    connection = await asyncpg.connect(dsn(url))
    latencies = []
    try:
        for n in range(times):
            row = check_ins(1, members, offset + n)[0]
            await connection.copy_records_to_table("outbox", records=[row], columns=COLUMNS)
            deadline = time.monotonic() + 30
            while True:
                latency = await connection.fetchval(
                    "SELECT extract(epoch FROM published_at - created_at)::float8"
                    " FROM outbox WHERE message_id = $1 AND published_at IS NOT NULL",
                    row[0],
                )
                if latency is not None:
                    latencies.append(latency)
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("a lone event was not published within 30 s")
                await asyncio.sleep(0.005)
    finally:
        await connection.close()
    return latencies


async def wait_published(url: str, committed: datetime, patience: float) -> float:
    """Wait until no outbox row is unpublished; seconds from ``committed`` to the last one
    marked published (both on the server's clock)."""
    connection = await asyncpg.connect(dsn(url))
    try:
        deadline = time.monotonic() + patience
        while await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"outbox not drained after {patience:.0f}s")
            await asyncio.sleep(0.05)
        return await connection.fetchval(
            "SELECT extract(epoch FROM max(published_at) - $1)::float8 FROM outbox", committed
        )
    finally:
        await connection.close()


async def declare_queue(namespace: str) -> None:
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await declare_event_queue(channel, Topology(namespace=namespace), QUEUE, ["#"])


async def queue_depth(namespace: str) -> int:
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(
            Topology(namespace=namespace).queue(QUEUE), passive=True
        )
        count = queue.declaration_result.message_count or 0
        await queue.purge()
        return count


async def remove_topology(namespace: str) -> None:
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


def watched(relay: int, database_url: str) -> dict[int, str]:
    """The relay, its database backends and RabbitMQ, by pid."""
    pids = {relay: "relay"}
    pids.update(dict.fromkeys(asyncio.run(backend_pids(dsn(database_url))), "postgres"))
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"beam.smp" in (entry / "cmdline").read_bytes():
                    pids[int(entry.name)] = "rabbitmq"
            except OSError:
                continue
    return pids


class RelayProcess:
    """``python -m frequenta_attendance relay`` with ``env``, until ``stop``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "frequenta_attendance", "relay"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while READY not in self._log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"relay did not start:\n{self._log.read_text()[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class Result:
    batch_size: str
    partitions: str
    lone: list[float]  # seconds, commit to published, one event at a time
    drained: float  # seconds, commit of the backlog to every row published
    events: int
    cpu: dict[str, float]  # CPU seconds per process group while the backlog drained
    queued: int  # messages that reached the bound queue


def profile(
    args: argparse.Namespace, pid: int, batch_size: str, partitions: str, offset: int
) -> subprocess.Popen[bytes] | None:
    """``py-spy record`` of the relay into ``--profile`` (a flame graph per run), if asked."""
    if args.profile is None:
        return None
    args.profile.mkdir(parents=True, exist_ok=True)
    output = args.profile / f"relay-b{batch_size}-p{partitions}-{offset}.txt"
    return subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--rate", "100", "--format", "raw"]
        + ["--output", str(output)],
        stdout=subprocess.DEVNULL,
    )


def one_run(
    args: argparse.Namespace,
    env: dict[str, str],
    database_url: str,
    batch_size: str,
    partitions: str,
    offset: int,
    run_dir: Path,
) -> Result:
    run_env = dict(env)
    if batch_size != "default":
        run_env["FREQUENTA_RELAY_BATCH_SIZE"] = batch_size
    if partitions != "default":
        run_env["FREQUENTA_RELAY_PARTITIONS"] = partitions
    backlog = check_ins(args.events, args.members, offset + args.lone)
    relay = RelayProcess(run_env, run_dir / f"relay-{offset}.log")
    try:
        relay.wait_ready()
        lone = asyncio.run(lone_latencies(database_url, args.members, args.lone, offset))
        pids = watched(relay.process.pid, database_url)
        cpu_before = cpu_by_name(pids)
        profiler = profile(args, relay.process.pid, batch_size, partitions, offset)
        committed = asyncio.run(write(database_url, backlog))
        drained = asyncio.run(wait_published(database_url, committed, args.timeout))
        cpu_after = cpu_by_name(pids)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)  # py-spy writes its output and exits
            profiler.wait(timeout=60)
    finally:
        relay.stop()
    return Result(
        batch_size=batch_size,
        partitions=partitions,
        lone=lone,
        drained=drained,
        events=args.events,
        cpu={name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after},
        queued=asyncio.run(queue_depth(env["FREQUENTA_BROKER_NAMESPACE"])),
    )


def run(args: argparse.Namespace) -> None:
    suffix = uuid.uuid4().hex[:8]
    url = make_url(SERVER_URL).set(database=f"frequenta_bench_relay_{suffix}")
    database_url = url.render_as_string(hide_password=False)
    namespace = f"frequenta-bench-{suffix}"
    env = dict(
        os.environ,
        FREQUENTA_ATTENDANCE_DATABASE_URL=database_url,
        FREQUENTA_RABBITMQ_URL=RABBITMQ_URL,
        FREQUENTA_BROKER_NAMESPACE=namespace,
        FREQUENTA_LOG_LEVEL=args.log_level,
        FREQUENTA_RELAY_RETENTION_HOURS="0",
    )
    asyncio.run(init_attendance_database(database_url))
    results = []
    try:
        asyncio.run(declare_queue(namespace))
        offset = 0
        with tempfile.TemporaryDirectory() as temporary:
            run_dir = args.log_dir or Path(temporary)
            run_dir.mkdir(parents=True, exist_ok=True)
            for _ in range(args.runs):
                for batch_size in args.batch_sizes.split(","):
                    for partitions in args.partitions.split(","):
                        results.append(
                            one_run(
                                args,
                                env,
                                database_url,
                                batch_size,
                                partitions,
                                offset,
                                run_dir,
                            )
                        )
                        offset += args.events + args.lone
    finally:
        asyncio.run(drop_database(database_url))
        asyncio.run(remove_topology(namespace))
    report(args, results)


def report(args: argparse.Namespace, results: list[Result]) -> None:
    defaults = AttendanceSettings.model_fields
    batch_default = defaults["relay_batch_size"].default
    partitions_default = defaults["relay_partitions"].default
    print(
        f"\nRelay throughput (one relay process, {args.events:,} waiting checkin.recorded events"
        f" of {args.members:,} members, persistent, one bound quorum queue, {os.cpu_count()} CPUs)"
    )
    header = (
        f"{'batch':>9} {'partitions':>10} {'lone event p50/max':>19} {'backlog':>8}"
        f" {'events/s':>9} {'CPU µs/event: relay':>20} {'postgres':>8} {'rabbitmq':>8}"
        f" {'queued':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        batch = f"{batch_default}*" if r.batch_size == "default" else r.batch_size
        parts = f"{partitions_default}*" if r.partitions == "default" else r.partitions
        lone = f"{statistics.median(r.lone) * 1000:.0f}/{max(r.lone) * 1000:.0f} ms"

        def cpu(name: str, r: Result = r) -> float:
            return r.cpu.get(name, 0.0) / r.events * 1e6

        print(
            f"{batch:>9} {parts:>10} {lone:>19} {r.drained:>7.2f}s"
            f" {r.events / r.drained:>9,.0f} {cpu('relay'):>20.0f} {cpu('postgres'):>8.0f}"
            f" {cpu('rabbitmq'):>8.0f} {r.queued:>8,}"
        )
    print(
        "* the default; lone event: commit to marked published, one at a time; backlog: commit"
        " of all the events to the last marked published; CPU while the backlog drained, per"
        " event (rabbitmq: the whole broker, shared with anything else using it)"
    )
    for r in results:
        if r.queued != r.events + len(r.lone):
            print(f"!! batch {r.batch_size}: {r.queued:,} messages queued, expected more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument(
        "--batch-sizes",
        default="default",
        help="comma-separated FREQUENTA_RELAY_BATCH_SIZE values ('default': the setting's)",
    )
    parser.add_argument(
        "--partitions",
        default="default",
        help="comma-separated FREQUENTA_RELAY_PARTITIONS values ('default': the setting's)",
    )
    parser.add_argument("--lone", type=int, default=20, help="lone events timed per run")
    parser.add_argument("--runs", type=int, default=1, help="repeat every configuration")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--profile",
        type=Path,
        help="directory for a py-spy flame graph of the relay per run (py-spy on the PATH)",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="the relay's (DEBUG logs each round's timing)"
    )
    parser.add_argument("--log-dir", type=Path, help="keep the relay's logs there")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
