"""The broker drops every connection (relay's and workers') twice in the middle of a bulk job:
both come back by themselves, and in the end every row is stored once, the job counts each row
once, and every stored visit reaches an event consumer (deduplicating on event id) exactly once."""

import asyncio
import subprocess
import uuid
from datetime import timedelta

import pytest
from imports_support import finished_job, now, row
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.events.v1 import events_pb2 as ev
from frequenta_kit.broker import connect, declare_events_exchange

ROWS = 1200  # 300 chunks of 4 rows
DAY = timedelta(days=1)


def drop_connections(vhost: str) -> None:
    """What the relay and the workers see when the broker goes away: every connection of the
    session's virtual host closed by the server."""
    subprocess.run(
        ["rabbitmqctl", "-q", "close_all_connections", "-p", vhost, "test: broker outage"],
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.fixture
async def imported_events(rabbitmq):
    """Every checkins.imported event delivered to a queue of the test's own."""
    received: list[ev.EventEnvelope] = []
    connection = await connect(rabbitmq.url)
    channel = await connection.channel()
    exchange = await declare_events_exchange(channel, rabbitmq.topology)
    queue = await channel.declare_queue(f"test-imported-{uuid.uuid4().hex[:8]}", durable=True)
    await queue.bind(exchange, routing_key="checkins.imported")

    async def on_message(message) -> None:
        received.append(ev.EventEnvelope.FromString(message.body))
        await message.ack()

    await queue.consume(on_message)
    try:
        yield received
    finally:
        await queue.delete(if_unused=False, if_empty=False)
        await connection.close()


async def test_a_bulk_job_survives_the_broker_dropping_every_connection(
    importer, pipeline, new_member, attendance_engine, rabbitmq, imported_events, poll
):
    if rabbitmq.vhost is None:
        pytest.skip("needs rabbitmqctl to drop the connections of the session's virtual host")
    members = [await new_member() for _ in range(30)]
    base = now()
    rows = [
        row(members[n % 30].id, base - (n // 30 + 1) * DAY, key=f"outage-{base}-{n}")
        for n in range(ROWS)
    ]
    reply = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    job_id = reply.job.job_id

    for at_least in (ROWS // 4, ROWS // 2):

        async def progressed(done: int = at_least) -> bool:
            job = (await importer.GetCheckInBatch(pb.GetCheckInBatchRequest(job_id=job_id))).job
            return job.processed_rows >= done

        await poll(progressed, within=60, what=f"{at_least} rows processed")
        await asyncio.to_thread(drop_connections, rabbitmq.vhost)

    job = await finished_job(importer, job_id, poll, within=90)
    assert (job.state, job.processed_rows, job.accepted, job.duplicates, job.rejected) == (
        pb.JOB_STATE_SUCCEEDED,
        ROWS,
        ROWS,
        0,
        0,
    )
    member_ids = [m.id for m in members]
    async with attendance_engine.connect() as connection:
        stored = sorted(
            await connection.scalars(
                text("SELECT id FROM checkins WHERE aluno_id = ANY(CAST(:ids AS bigint[]))"),
                {"ids": member_ids},
            )
        )
    assert len(stored) == ROWS

    def delivered() -> list[int]:
        first_copies = {e.event_id: e for e in imported_events if e.member_id in member_ids}
        return sorted(
            visit.visit_id
            for envelope in first_copies.values()
            for visit in envelope.check_ins_imported.visits
        )

    async def all_delivered() -> bool:
        return len(delivered()) >= ROWS

    await poll(all_delivered, within=60, what="every imported visit delivered")
    assert delivered() == stored, "each stored visit in exactly one event, delivered"
