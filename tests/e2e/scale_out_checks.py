"""What the scale-out test (test_e2e_scale_out.py) reads back from a stack: rows of its two
databases, the broker's counts of its queues, and each replica's metrics."""

import uuid
from dataclasses import dataclass

import aio_pika
import httpx
from aio_pika.abc import AbstractChannel
from e2e_stack import Stack
from e2e_support import on_broker
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from frequenta_attendance import chunks
from frequenta_attendance.reports import messages as report_messages
from frequenta_churn.retraining import RETRAINING_QUEUE
from frequenta_kit.broker import Topology
from frequenta_kit.database import sync_url

# The stack's queues and the worker kind consuming each.
QUEUES = {
    chunks.QUEUE: "ingest-worker",
    report_messages.QUEUE: "reports-worker",
    RETRAINING_QUEUE: "retrain-worker",
    "churn-projection": "churn-projection",  # ChurnSettings.projection_queue's default
}


@dataclass(frozen=True)
class QueueCount:
    ready: int  # messages waiting in the queue
    dead: int  # messages in its dead-letter queue
    consumers: int


def query(database_url: str, sql: str) -> list:
    engine = create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)).all())
    finally:
        engine.dispose()


def queues(stack: Stack) -> dict[str, QueueCount]:
    """The broker's counts now; ChannelClosed while a queue is not declared yet."""

    async def count(channel: AbstractChannel, topology: Topology) -> dict[str, QueueCount]:
        counts = {}
        for name in QUEUES:
            queue = await channel.declare_queue(topology.queue(name), passive=True)
            dead = await channel.declare_queue(topology.dead_letter_queue(name), passive=True)
            # A robust channel hands back its cached queue: declare again for today's count.
            now, dead_now = await queue.declare(), await dead.declare()
            counts[name] = QueueCount(
                now.message_count or 0, dead_now.message_count or 0, now.consumer_count or 0
            )
        return counts

    return on_broker(stack, count)


def consuming(stack: Stack, replicas: dict[str, int]) -> bool:
    """Whether every replica of every worker kind consumes its queue."""
    try:
        counts = queues(stack)
    except aio_pika.exceptions.ChannelClosed:  # a passive declaration of a missing queue
        return False
    return all(counts[name].consumers == replicas[kind] for name, kind in QUEUES.items())


def plant_dead_letter(stack: Stack) -> None:
    """A work message no reports worker can ever build: it must end in the dead letters."""

    async def publish(channel: AbstractChannel, topology: Topology) -> None:
        exchange = await channel.get_exchange(topology.work_exchange, ensure=True)
        message = aio_pika.Message(b"not a build request", message_id=str(uuid.uuid4()))
        await exchange.publish(message, routing_key=topology.queue(report_messages.QUEUE))

    on_broker(stack, publish, publisher_confirms=True)


def per_replica(stack: Stack, kind: str, name: str) -> dict[str, float]:
    """Sample ``name`` (summed over its labels) of every replica of ``kind``, by process name;
    each replica serves its own metrics port."""
    values = {}
    for process, port in stack.replica_metrics_ports(kind).items():
        page = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        families = text_string_to_metric_families(page)
        values[process] = sum(s.value for f in families for s in f.samples if s.name == name)
    return values


def left_to_do(stack: Stack) -> dict[str, int]:
    """What is not done yet (empty once quiet): unpublished outbox rows, report jobs not built,
    events not applied, messages waiting in the queues, and the planted dead letter."""
    ((unpublished, events, unbuilt),) = query(
        stack.attendance_database_url,
        "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL),"
        " (SELECT count(*) FROM outbox WHERE exchange = 'events'),"
        " (SELECT count(*) FROM report_jobs WHERE finished_at IS NULL)",
    )
    ((applied,),) = query(stack.churn_database_url, "SELECT count(*) FROM processed_events")
    counts = queues(stack)
    left = {
        "unpublished": unpublished,
        "unbuilt reports": unbuilt,
        "unapplied events": events - applied,
        "waiting messages": sum(count.ready for count in counts.values()),
        "planted dead letter": 1 - counts[report_messages.QUEUE].dead,
    }
    return {what: count for what, count in left.items() if count > 0}
