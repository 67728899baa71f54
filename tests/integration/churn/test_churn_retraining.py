"""Retraining requests: queued on the broker before they are acknowledged, readable after."""

import uuid

import grpc
import pytest
from sqlalchemy import text

from frequenta.churn.v1 import churn_pb2
from frequenta_churn.retraining import RETRAINING_QUEUE
from frequenta_kit.broker import connect
from frequenta_kit.grpc_errors import describe_rpc_error


async def test_a_request_is_queued_with_its_job_id(churn, churn_topology, rabbitmq) -> None:
    reply = await churn.RequestRetraining(
        churn_pb2.RequestRetrainingRequest(promote_if_better=True), timeout=5
    )
    job = reply.job
    assert job.state == churn_pb2.RETRAINING_STATE_QUEUED
    assert uuid.UUID(job.job_id)
    assert job.requested_at.seconds > 0

    connection = await connect(rabbitmq.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(churn_topology.queue(RETRAINING_QUEUE))
        message = await queue.get(timeout=5)
        await message.ack()
    command = churn_pb2.RetrainModelCommand.FromString(message.body)
    assert message.message_id == job.job_id
    assert command.job_id == job.job_id
    assert command.promote_if_better is True
    assert command.requested_at == job.requested_at


async def test_a_queued_job_can_be_read_back(churn) -> None:
    queued = (await churn.RequestRetraining(churn_pb2.RequestRetrainingRequest(), timeout=5)).job
    reply = await churn.GetRetrainingJob(
        churn_pb2.GetRetrainingJobRequest(job_id=queued.job_id), timeout=5
    )
    assert reply.job == queued


@pytest.mark.parametrize(
    ("job_id", "status", "reason"),
    [
        (str(uuid.uuid4()), grpc.StatusCode.NOT_FOUND, "JOB_NOT_FOUND"),
        ("not-a-uuid", grpc.StatusCode.INVALID_ARGUMENT, "VALIDATION_ERROR"),
    ],
)
async def test_unknown_or_malformed_job_ids(churn, job_id: str, status, reason: str) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await churn.GetRetrainingJob(churn_pb2.GetRetrainingJobRequest(job_id=job_id), timeout=5)
    info = describe_rpc_error(raised.value)
    assert (info.status, info.reason, info.field) == (status, reason, "job_id")


async def failed_jobs(engine) -> set[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT id, error FROM retraining_jobs WHERE state = 'failed'")
        )
        return {f"{row.id} {row.error}" for row in rows}


async def test_without_a_broker_the_request_is_refused_and_the_job_marked_failed(
    churn_without_broker, churn_engine
) -> None:
    before = await failed_jobs(churn_engine)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await churn_without_broker.RequestRetraining(
            churn_pb2.RequestRetrainingRequest(), timeout=10
        )
    info = describe_rpc_error(raised.value)
    assert (info.status, info.reason) == (grpc.StatusCode.UNAVAILABLE, "BROKER_UNAVAILABLE")
    (new,) = await failed_jobs(churn_engine) - before
    assert "broker did not accept the job" in new
