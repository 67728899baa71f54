"""Scale-out without containers: several replicas of every worker kind (outbox relay, ingestion
workers, reports worker, scheduler, churn projection, retrain worker) and two gateways, started
by the project's launcher from the Procfile, take a mixed load at once (scale_out_load.py).

Afterwards, with SQL on both databases, the workers' metrics and the broker's counts: every
check-in is stored once; every event is applied once in churn's projection; every daily report
job is built once (and the two schedulers queued each date once); the retraining jobs never ran
at the same time; no queue holds anything but the one dead letter the test planted."""

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import httpx
import pytest
from e2e_stack import Stack, launch_stack
from e2e_support import poll
from prometheus_client.parser import text_string_to_metric_families
from scale_out_load import Sent, drive
from sqlalchemy import create_engine, text

from frequenta_attendance import chunks
from frequenta_attendance.reports import messages as report_messages
from frequenta_churn.retraining import RETRAINING_QUEUE
from frequenta_kit.broker import Topology, connect
from frequenta_kit.consumer import queue_depths
from frequenta_kit.database import sync_url
from frequenta_sim.login import TokenAuth

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

REPLICAS = {
    "gateway": 2,
    "relay": 3,
    "ingest-worker": 2,
    "reports-worker": 2,
    "scheduler": 2,
    "churn-projection": 2,
    "retrain-worker": 2,
}
PROJECTION_QUEUE = "churn-projection"  # ChurnSettings.projection_queue's default
QUEUES = (chunks.QUEUE, report_messages.QUEUE, RETRAINING_QUEUE, PROJECTION_QUEUE)


@pytest.fixture
def scaled(request, tmp_path: Path, rabbitmq_url: str) -> Iterator[Stack]:
    with launch_stack(
        request,
        tmp_path / "run",
        rabbitmq_url,
        replicas=REPLICAS,
        relay_poll_interval_seconds="0.2",
        # Both schedulers wake up every half second; yesterday's report is due from midnight.
        scheduler_interval_seconds="0.5",
        report_hour="0",
        # Small chunks: the rows of one batch are shared by the ingestion workers.
        import_chunk_rows="4",
        training_lock_poll_seconds="0.2",
    ) as stack:
        yield stack


def query(database_url: str, sql: str) -> list:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def depths(stack: Stack) -> dict[str, tuple[int, int]]:
    """Queue -> (messages ready, dead letters), as the broker counts them now."""

    async def count() -> dict[str, tuple[int, int]]:
        topology = Topology(namespace=stack.broker_namespace)
        connection = await connect(stack.rabbitmq_url)
        async with connection:
            channel = await connection.channel()
            return {queue: await queue_depths(channel, topology, queue) for queue in QUEUES}

    return asyncio.run(count())


def declared(stack: Stack) -> bool:
    """Whether every worker has declared its queue (events published before the projection's
    queue exists would reach no one)."""
    try:
        depths(stack)
    except aio_pika.exceptions.ChannelClosed:  # a passive declaration of a missing queue
        return False
    return True


def plant_dead_letter(stack: Stack) -> None:
    """A work message no reports worker can ever build: it must end in the dead letters."""

    async def publish() -> None:
        topology = Topology(namespace=stack.broker_namespace)
        connection = await connect(stack.rabbitmq_url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            exchange = await channel.get_exchange(topology.work_exchange, ensure=True)
            message = aio_pika.Message(b"not a build request", message_id=str(uuid.uuid4()))
            await exchange.publish(message, routing_key=topology.queue(report_messages.QUEUE))

    asyncio.run(publish())


def metric_sum(stack: Stack, kind: str, name: str) -> float:
    """``name`` summed over every replica of ``kind`` (each serves its own metrics port)."""
    total = 0.0
    for port in stack.replica_metrics_ports(kind).values():
        families = text_string_to_metric_families(
            httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        )
        total += sum(s.value for f in families for s in f.samples if s.name == name)
    return total


async def load(stack: Stack) -> Sent:
    auth = {"auth": TokenAuth(stack.admin_login, stack.admin_password), "timeout": 60}
    clients = [httpx.AsyncClient(base_url=url, **auth) for url in stack.base_urls]
    try:
        return await drive(clients, stack.env.get("FREQUENTA_GYM_TIMEZONE", "America/Sao_Paulo"))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def left_to_do(stack: Stack) -> dict[str, int]:
    """What is not done yet (empty once quiet): unpublished outbox rows, report jobs not built,
    events not applied, messages ready in the queues, and the planted dead letter."""
    attendance, churn = stack.attendance_database_url, stack.churn_database_url
    ((unpublished, events, unfinished),) = query(
        attendance,
        "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL),"
        " (SELECT count(*) FROM outbox WHERE exchange = 'events'),"
        " (SELECT count(*) FROM report_jobs WHERE finished_at IS NULL)",
    )
    ((applied,),) = query(churn, "SELECT count(*) FROM processed_events")
    queues = depths(stack)
    left = {
        "unpublished": unpublished,
        "unbuilt reports": unfinished,
        "unapplied events": events - applied,
        "ready messages": sum(waiting for waiting, _ in queues.values()),
        "planted dead letter": 1 - queues[report_messages.QUEUE][1],
    }
    return {what: count for what, count in left.items() if count > 0}


def test_replicas_of_every_kind_share_the_work_and_do_each_piece_once(scaled: Stack):
    assert len(scaled.base_urls) == 2
    assert set(scaled.launcher.processes) >= {"relay.3", "scheduler.2", "gateway.2"}
    poll(lambda: declared(scaled), 30, "the queues declared by the workers")
    plant_dead_letter(scaled)
    sent = asyncio.run(load(scaled))
    seen: list[dict[str, int]] = []

    def settled() -> bool:
        seen.append(left_to_do(scaled))
        return not seen[-1]

    try:
        poll(settled, 60, "quiet", every=0.5)
    except AssertionError:
        raise AssertionError(f"the workers did not finish within 60 s: {seen[-1]}") from None

    # Every check-in stored once: what was sent, once, whichever gateway or worker took it.
    stored = query(scaled.attendance_database_url, "SELECT aluno_id, data_entrada FROM checkins")
    assert len(stored) == len(sent.visits)
    assert {(member, entry) for member, entry in stored} == sent.visits
    assert all(sorted(statuses) == [200, 201] for statuses in sent.keyed), sent.keyed
    assert all(job["estado"] == "concluido" for job in sent.import_jobs), sent.import_jobs
    assert sum(job["aceitas"] for job in sent.import_jobs) == len(stored) - 2 * len(sent.members)

    # Every event applied once in churn's projection: its inbox holds exactly the outbox's
    # events, and the projection as many visits and members as attendance.
    events = query(
        scaled.attendance_database_url, "SELECT message_id FROM outbox WHERE exchange = 'events'"
    )
    applied = query(scaled.churn_database_url, "SELECT event_id FROM processed_events")
    assert sorted(applied) == sorted(events)
    projected = query(scaled.churn_database_url, "SELECT count(*), count(data_saida) FROM checkins")
    assert projected == [(len(stored), len(stored))]
    ((members,),) = query(
        scaled.churn_database_url, "SELECT count(*) FROM alunos WHERE data_matricula IS NOT NULL"
    )
    assert members == len(sent.members)

    # Each report job built once, by whichever worker took it; each due date scheduled once.
    jobs = query(scaled.attendance_database_url, "SELECT report_date, origin FROM report_jobs")
    on_demand = [day for day, origin in jobs if origin == "on_demand"]
    scheduled = [day for day, origin in jobs if origin == "schedule"]
    assert len(on_demand) == sent.report_requests and set(on_demand) == sent.report_days
    assert scheduled and len(set(scheduled)) == len(scheduled)
    assert metric_sum(scaled, "reports-worker", "frequenta_reports_built_total") == len(jobs)
    queued = metric_sum(scaled, "scheduler", "frequenta_scheduler_reports_queued_total")
    assert queued == len(scheduled)

    # One retraining at a time: the jobs' running intervals never overlap.
    runs = query(
        scaled.churn_database_url,
        "SELECT started_at, finished_at FROM retraining_jobs ORDER BY started_at",
    )
    assert len(runs) == len(sent.retrain_jobs) and all(start and end for start, end in runs)
    assert all(runs[n][1] <= runs[n + 1][0] for n in range(len(runs) - 1)), runs

    # Nothing left in any queue; the planted message alone among the dead letters.
    expected = {queue: (0, 1 if queue == report_messages.QUEUE else 0) for queue in QUEUES}
    assert depths(scaled) == expected
    logs = {path.name for path in (scaled.launcher.run_dir / "logs").glob("*.log")}
    assert {"relay.log", "relay.2.log", "relay.3.log", "gateway.2.log"} <= logs
