"""Scale-out without containers: several replicas of every worker kind (outbox relay, ingestion
workers, reports worker, scheduler, churn projection, retrain worker) and two gateways, started
by the project's launcher from the Procfile, take a mixed load at once (scale_out_load.py).

Afterwards, with SQL on both databases, the replicas' metrics and the broker's counts
(scale_out_checks.py): every check-in is stored once; every event is applied once in churn's
projection; every daily report job is built once (and the two schedulers queued each date
once); the retraining jobs never ran at the same time; every consumer replica took part; no
queue holds anything but the one dead letter the test planted."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_stack import Stack, launch_stack
from e2e_support import poll
from scale_out_checks import (
    QUEUES,
    QueueCount,
    consuming,
    left_to_do,
    per_replica,
    plant_dead_letter,
    query,
    queues,
)
from scale_out_load import Sent, drive

from frequenta_attendance.reports import messages as report_messages
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
        # 17 processes share a PostgreSQL of 100 connections with other test runs: smaller
        # pools (attendance's, and the consumers', which follow their prefetch).
        database_pool_size="8",
        ingest_prefetch="2",
        projection_prefetch="4",
    ) as stack:
        yield stack


async def load(stack: Stack) -> Sent:
    auth = {"auth": TokenAuth(stack.admin_login, stack.admin_password), "timeout": 60}
    clients = [httpx.AsyncClient(base_url=url, **auth) for url in stack.base_urls]
    try:
        return await drive(clients, stack.env.get("FREQUENTA_GYM_TIMEZONE", "America/Sao_Paulo"))
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def settle(stack: Stack, within: float = 60.0) -> None:
    """Wait until nothing is left to do, or fail saying what is."""
    seen: list[dict[str, int]] = []

    def settled() -> bool:
        seen.append(left_to_do(stack))
        return not seen[-1]

    try:
        poll(settled, within, "quiet", every=0.5)
    except AssertionError:
        raise AssertionError(f"the workers did not finish within {within:g}s: {seen[-1]}") from None


def test_replicas_of_every_kind_share_the_work_and_do_each_piece_once(scaled: Stack):
    assert len(scaled.base_urls) == 2
    poll(lambda: consuming(scaled, REPLICAS), 30, "every worker replica consuming its queue")
    plant_dead_letter(scaled)
    sent = asyncio.run(load(scaled))
    settle(scaled)
    attendance, churn = scaled.attendance_database_url, scaled.churn_database_url

    # Every check-in stored once: what was sent, once, whichever gateway or worker took it.
    stored = query(attendance, "SELECT aluno_id, data_entrada FROM checkins")
    assert len(stored) == len(sent.visits)
    assert {(member, entry) for member, entry in stored} == sent.visits
    assert all(sorted(statuses) == [200, 201] for statuses in sent.keyed), sent.keyed
    assert all(job["estado"] == "concluido" for job in sent.import_jobs), sent.import_jobs
    assert sum(job["aceitas"] for job in sent.import_jobs) == len(stored) - 2 * len(sent.members)

    # Every event applied once in churn's projection: its inbox holds exactly the outbox's
    # events, and the projection as many visits and members as attendance.
    events = query(attendance, "SELECT message_id FROM outbox WHERE exchange = 'events'")
    assert sorted(query(churn, "SELECT event_id FROM processed_events")) == sorted(events)
    projected = query(churn, "SELECT count(*), count(data_saida) FROM checkins")
    assert projected == [(len(stored), len(stored))]
    members = query(churn, "SELECT count(*) FROM alunos WHERE data_matricula IS NOT NULL")
    assert members == [(len(sent.members),)]

    # Each report job built once, by whichever worker took it; each due date scheduled once.
    jobs = query(attendance, "SELECT report_date, origin FROM report_jobs")
    on_demand = [day for day, origin in jobs if origin == "on_demand"]
    scheduled = [day for day, origin in jobs if origin == "schedule"]
    assert len(on_demand) == sent.report_requests and set(on_demand) == sent.report_days
    assert scheduled and len(set(scheduled)) == len(scheduled)
    built = per_replica(scaled, "reports-worker", "frequenta_reports_built_total")
    assert sum(built.values()) == len(jobs), built
    queued = per_replica(scaled, "scheduler", "frequenta_scheduler_reports_queued_total")
    assert sum(queued.values()) == len(scheduled), queued

    # One retraining at a time: the jobs' running intervals never overlap.
    runs = query(churn, "SELECT started_at, finished_at FROM retraining_jobs ORDER BY started_at")
    assert len(runs) == len(sent.retrain_jobs) and all(start and end for start, end in runs)
    assert all(runs[n][1] <= runs[n + 1][0] for n in range(len(runs) - 1)), runs

    # The work was shared: every consumer replica handled messages, and the relays together
    # published each outbox row once.
    for kind in QUEUES.values():
        handled = per_replica(scaled, kind, "frequenta_consumer_messages_processed_total")
        assert all(handled.values()), (kind, handled)
    ((rows,),) = query(attendance, "SELECT count(*) FROM outbox")
    published = per_replica(scaled, "relay", "frequenta_relay_messages_published_total")
    assert sum(published.values()) == rows, published

    # Nothing left in any queue; the planted message alone among the dead letters.
    consumers = {name: REPLICAS[kind] for name, kind in QUEUES.items()}
    assert queues(scaled) == {
        name: QueueCount(0, int(name == report_messages.QUEUE), consumers[name]) for name in QUEUES
    }
    logs = {path.name for path in (scaled.launcher.run_dir / "logs").glob("*.log")}
    assert {"relay.log", "relay.2.log", "relay.3.log", "gateway.2.log"} <= logs
