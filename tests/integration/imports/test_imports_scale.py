"""Big batches: competing workers store every row once, whatever order the chunks run in; a
100,000-row batch is accepted in one call and lands whole. (Throughput is measured by
``make bench``, not asserted here.)"""

import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from imports_support import finished_job, import_events_of, now, row
from sqlalchemy import text

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta_attendance.bootstrap import build_server
from frequenta_kit.consumer import WorkConsumer, WorkMessage

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@pytest.fixture(scope="module")
async def big_importer(import_settings, attendance_engine) -> AsyncIterator[AttendanceServiceStub]:
    """An attendance server cutting batches into chunks of 1,000 rows (the default)."""
    server = build_server(
        import_settings.model_copy(update={"import_chunk_rows": 1000}), attendance_engine
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(
            server.address, options=[("grpc.max_send_message_length", 64 * 1024 * 1024)]
        ) as channel:
            yield AttendanceServiceStub(channel)
    finally:
        await server.stop(grace=0)


async def bulk_members(engine, count: int) -> list[int]:
    """``count`` members enrolled 400 days ago, inserted in one statement."""
    tag = uuid.uuid4().hex[:8]
    async with engine.begin() as connection:
        ids = await connection.scalars(
            text(
                "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
                " SELECT 'Bulk Member', 'bulk-' || :tag || '-' || n || '@example.com', p.id,"
                " now() - interval '400 days'"
                " FROM generate_series(1, :count) AS n, planos p WHERE p.codigo = 'mensal'"
                " RETURNING id"
            ),
            {"tag": tag, "count": count},
        )
        return sorted(ids)


def counting(worker: WorkConsumer) -> Counter:
    """Count the chunks ``worker`` handles (wraps its handler before it starts)."""
    handled: Counter = Counter()
    inner = worker.handler

    async def handler(message: WorkMessage) -> None:
        await inner(message)
        handled["chunks"] += 1

    worker.handler = handler
    return handled


async def test_competing_workers_store_each_row_exactly_once(
    big_importer, start_relay, start_worker, attendance_engine, poll
):
    rng = random.Random(20261125)
    members = await bulk_members(attendance_engine, 60)
    base = now()
    rows, duplicates, overlapping = [], [], []
    for m, member in enumerate(members):
        for d in range(1, 101):
            entered = base - d * DAY - (m % 12) * HOUR
            key = f"scale-{member}-{d}-{base.timestamp():.0f}" if (m + d) % 2 == 0 else ""
            rows.append(row(member, entered, entered + HOUR, key=key))
            if d % 7 == 0:  # sent twice
                duplicates.append(row(member, entered, entered + HOUR, key=key))
            elif d % 10 == 5:  # a second visit overlapping this one: one of the two wins
                shifted = entered + 10 * timedelta(minutes=1)
                overlapping.append(row(member, shifted, shifted + HOUR))
    batch = rows + duplicates + overlapping
    rng.shuffle(batch)

    workers = [await start_worker(ingest_prefetch=2), await start_worker(ingest_prefetch=2)]
    handled = [counting(w) for w in workers]  # nothing is published before the relay starts
    await start_relay()
    reply = await big_importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=batch))
    job = await finished_job(big_importer, reply.job.job_id, poll, within=90)

    assert job.state == pb.JOB_STATE_SUCCEEDED, job
    assert job.total_rows == job.processed_rows == len(batch)
    assert (job.accepted, job.duplicates, job.rejected) == (
        len(rows),
        len(duplicates),
        len(overlapping),
    )
    assert {r.reason for r in job.rejected_rows} == {"VISIT_OVERLAPS"}
    assert all(count["chunks"] > 0 for count in handled), handled

    async with attendance_engine.connect() as connection:
        stored = dict(
            (
                await connection.execute(
                    text(
                        "SELECT id, aluno_id FROM checkins"
                        " WHERE aluno_id = ANY(CAST(:ids AS bigint[]))"
                    ),
                    {"ids": members},
                )
            ).all()
        )
    assert Counter(stored.values()) == dict.fromkeys(members, 100)
    in_events = [
        visit.visit_id
        for envelope in await import_events_of(attendance_engine, members)
        for visit in envelope.check_ins_imported.visits
    ]
    assert sorted(in_events) == sorted(stored), "each stored visit is in exactly one event"


async def test_a_batch_of_100000_rows_is_accepted_in_one_call_and_lands_whole(
    big_importer, start_relay, start_worker, attendance_engine, poll
):
    members = await bulk_members(attendance_engine, 1000)
    base = now()
    batch = [
        row(member, base - d * DAY, base - d * DAY + HOUR, key=f"big-{member}-{d}-{base}")
        for member in members
        for d in range(1, 101)
    ]
    assert len(batch) == 100_000
    reply = await big_importer.SubmitCheckInBatch(
        pb.SubmitCheckInBatchRequest(rows=batch), timeout=60
    )
    assert (reply.job.state, reply.job.total_rows) == (pb.JOB_STATE_QUEUED, 100_000)

    await start_relay()
    await start_worker(ingest_prefetch=4)
    await start_worker(ingest_prefetch=4)
    job = await finished_job(big_importer, reply.job.job_id, poll, within=100)
    assert (job.state, job.accepted, job.duplicates, job.rejected) == (
        pb.JOB_STATE_SUCCEEDED,
        100_000,
        0,
        0,
    )
