"""Delivery of the chunks: nothing accepted is lost while no broker (or relay, or worker) is
there; a redelivered chunk changes nothing; a malformed one ends in the dead-letter queue;
a chunk that keeps failing fails its job."""

import uuid

import aio_pika
import pytest
from imports_support import (
    ago,
    chunk_messages,
    finished_job,
    row,
    unique_key,
    visits_of,
)

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance import chunks
from frequenta_attendance.bootstrap import gym_rules
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.handlers import imports
from frequenta_attendance.ingest import ChunkHandler
from frequenta_attendance.uow import SqlAlchemyUnitOfWork
from frequenta_kit.broker import connect
from frequenta_kit.consumer import ERROR_HEADER, PermanentFailure, WorkMessage, queue_depths
from frequenta_kit.database import create_session_factory
from frequenta_kit.errors import Unavailable


@pytest.fixture
def handler(import_settings, attendance_engine) -> ChunkHandler:
    """The worker's handler, called directly (as the consumer would) with chosen deliveries."""
    session_factory = create_session_factory(attendance_engine)
    return ChunkHandler(
        uow=lambda: SqlAlchemyUnitOfWork(session_factory),
        rules=gym_rules(import_settings),
        delivery_limit=import_settings.topology.delivery_limit,
    )


def delivery(message_id: str, body: bytes, *, count: int = 0, **headers) -> WorkMessage:
    return WorkMessage(message_id=message_id, body=body, headers=headers, delivery_count=count)


async def job_of(importer, job_id: str) -> pb.CheckInBatchJob:
    return (await importer.GetCheckInBatch(pb.GetCheckInBatchRequest(job_id=job_id))).job


async def test_a_batch_accepted_while_nothing_publishes_or_consumes_waits_then_lands(
    importer, new_member, attendance_engine, start_relay, start_worker, poll
):
    member = await new_member()
    rows = [row(member.id, ago(days=d)) for d in range(1, 10)]
    reply = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    job_id = reply.job.job_id
    waiting = await chunk_messages(attendance_engine, job_id)
    assert [published for _, _, published in waiting] == [False, False, False]
    assert (await job_of(importer, job_id)).state == pb.JOB_STATE_QUEUED

    await start_relay()
    await start_worker()
    job = await finished_job(importer, job_id, poll)
    assert (job.state, job.accepted) == (pb.JOB_STATE_SUCCEEDED, 9)
    assert len(await visits_of(attendance_engine, [member.id])) == 9
    sent = await chunk_messages(attendance_engine, job_id)
    assert [published for _, _, published in sent] == [True, True, True]


async def test_a_redelivered_chunk_changes_nothing(
    importer, pipeline, new_member, attendance_engine, handler, poll
):
    member = await new_member()
    rows = [row(member.id, ago(days=d), key=unique_key()) for d in range(1, 7)]
    reply = await importer.SubmitCheckInBatch(pb.SubmitCheckInBatchRequest(rows=rows))
    before = await finished_job(importer, reply.job.job_id, poll)
    assert (before.processed_rows, before.accepted) == (6, 6)

    for message_id, body, _ in await chunk_messages(attendance_engine, reply.job.job_id):
        await handler(delivery(message_id, body, count=1))  # as after a lost ack

    after = await job_of(importer, reply.job.job_id)
    assert (after.processed_rows, after.accepted, after.duplicates) == (6, 6, 0)
    assert after.state == pb.JOB_STATE_SUCCEEDED
    assert len(await visits_of(attendance_engine, [member.id])) == 6


async def test_a_chunk_that_fails_on_its_last_delivery_fails_its_job(
    importer, new_member, attendance_engine, handler, monkeypatch
):
    member = await new_member()
    reply = await importer.SubmitCheckInBatch(
        pb.SubmitCheckInBatchRequest(rows=[row(member.id, ago(days=1))])
    )
    ((message_id, body, _),) = await chunk_messages(attendance_engine, reply.job.job_id)

    async def broken(**_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "process_chunk", broken)
    with pytest.raises(RuntimeError):
        await handler(delivery(message_id, body, count=0))
    assert (await job_of(importer, reply.job.job_id)).state == pb.JOB_STATE_QUEUED

    last = handler.delivery_limit - 1
    with pytest.raises(RuntimeError):
        await handler(delivery(message_id, body, count=last))
    job = await job_of(importer, reply.job.job_id)
    assert job.state == pb.JOB_STATE_FAILED
    assert "disk on fire" in job.error and job.HasField("finished_at")


async def test_an_unreachable_database_is_left_to_the_consumer_and_fails_no_job(
    importer, new_member, attendance_engine, handler, monkeypatch
):
    member = await new_member()
    reply = await importer.SubmitCheckInBatch(
        pb.SubmitCheckInBatchRequest(rows=[row(member.id, ago(days=1))])
    )
    ((message_id, body, _),) = await chunk_messages(attendance_engine, reply.job.job_id)

    async def away(**_: object) -> None:
        raise Unavailable("DATABASE_UNAVAILABLE", "the attendance database cannot be reached")

    monkeypatch.setattr(imports, "process_chunk", away)
    with pytest.raises(Unavailable):  # WorkConsumer retries it in place, the delivery held
        await handler(delivery(message_id, body, count=handler.delivery_limit - 1))
    assert (await job_of(importer, reply.job.job_id)).state == pb.JOB_STATE_QUEUED


async def test_a_chunk_of_an_unknown_job_is_a_permanent_failure(handler):
    body = chunks.encode(
        chunks.Chunk(uuid.uuid4(), 0, CheckInSource.IMPORT, [(1, RawRow(1, 1_700_000_000_000_000))])
    )
    with pytest.raises(PermanentFailure, match="no import job"):
        await handler(delivery("m-1", body))


async def test_a_malformed_chunk_fails_its_job(importer, new_member, handler):
    member = await new_member()
    reply = await importer.SubmitCheckInBatch(
        pb.SubmitCheckInBatchRequest(rows=[row(member.id, ago(days=1))])
    )
    with pytest.raises(PermanentFailure, match="malformed chunk"):
        await handler(delivery("poison-0", b'{"v": 1, "rows": 7}', job_id=reply.job.job_id))
    job = await job_of(importer, reply.job.job_id)
    assert job.state == pb.JOB_STATE_FAILED and "unreadable chunk" in job.error


async def test_a_malformed_chunk_goes_to_the_dead_letter_queue_with_its_reason(
    pipeline, import_settings, poll
):
    topology = import_settings.topology
    connection = await connect(import_settings.rabbitmq_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        _, dead_before = await queue_depths(channel, topology, chunks.QUEUE)
        exchange = await channel.get_exchange(topology.work_exchange)
        await exchange.publish(
            aio_pika.Message(b'{"v": 1, "rows": "garbage"}', message_id="poison-1"),
            routing_key=topology.queue(chunks.QUEUE),
        )

        async def dead_lettered() -> bool:
            return (await queue_depths(channel, topology, chunks.QUEUE))[1] == dead_before + 1

        await poll(dead_lettered, within=15, what="the poison chunk in the dead-letter queue")
        dead = await channel.get_queue(topology.dead_letter_queue(chunks.QUEUE))
        reasons = {}
        while (message := await dead.get(no_ack=False, fail=False)) is not None:
            reasons[message.message_id] = message.headers[ERROR_HEADER]
            await message.ack()
    assert "malformed chunk" in reasons["poison-1"]
