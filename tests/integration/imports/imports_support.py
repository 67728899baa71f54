"""Helpers of the bulk-import tests: instants, rows, waiting for a job, reading what landed."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta.attendance.v1.attendance_pb2_grpc import AttendanceServiceStub
from frequenta.events.v1 import events_pb2 as ev
from frequenta_kit.grpc_errors import RpcErrorInfo, describe_rpc_error

FINISHED = (pb.JOB_STATE_SUCCEEDED, pb.JOB_STATE_FAILED)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def ago(**delta: float) -> datetime:
    return now() - timedelta(**delta)


def ts(instant: datetime) -> Timestamp:
    encoded = Timestamp()
    encoded.FromDatetime(instant)
    return encoded


def row(
    member_id: int,
    entered: datetime | None,
    exited: datetime | None = None,
    *,
    key: str = "",
    device: str = "",
) -> pb.CheckInRow:
    encoded = pb.CheckInRow(member_id=member_id, device_id=device, idempotency_key=key)
    if entered is not None:
        encoded.entered_at.CopyFrom(ts(entered))
    if exited is not None:
        encoded.exited_at.CopyFrom(ts(exited))
    return encoded


def unique_key(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


async def finished_job(
    stub: AttendanceServiceStub,
    job_id: str,
    poll: Callable[..., Awaitable[object]],
    *,
    within: float = 30.0,
) -> pb.CheckInBatchJob:
    async def done() -> pb.CheckInBatchJob | None:
        job = (await stub.GetCheckInBatch(pb.GetCheckInBatchRequest(job_id=job_id))).job
        return job if job.state in FINISHED else None

    return await poll(done, within=within, interval=0.1, what=f"import job {job_id} to finish")  # type: ignore[return-value]


def rejections(job: pb.CheckInBatchJob) -> list[tuple[int, str]]:
    return [(r.row_number, r.reason) for r in job.rejected_rows]


async def rpc_error(call: Awaitable[object]) -> RpcErrorInfo:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return describe_rpc_error(caught.value)


async def visits_of(engine: AsyncEngine, member_ids: list[int]) -> list[tuple]:
    """(member, entry, exit, source, device, key) of the members' stored visits, in order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT aluno_id, data_entrada, data_saida, origem, dispositivo_id,"
                " chave_idempotencia FROM checkins WHERE aluno_id = ANY(CAST(:ids AS bigint[]))"
                " ORDER BY aluno_id, data_entrada"
            ),
            {"ids": member_ids},
        )
        return [tuple(r) for r in rows]


async def import_events_of(engine: AsyncEngine, member_ids: list[int]) -> list[ev.EventEnvelope]:
    """The ``checkins.imported`` events written to the outbox for the members."""
    async with engine.connect() as connection:
        payloads = await connection.scalars(
            text(
                "SELECT payload FROM outbox WHERE message_type = 'checkins.imported'"
                " AND aggregate_id = ANY(CAST(:ids AS bigint[])) ORDER BY id"
            ),
            {"ids": member_ids},
        )
        return [ev.EventEnvelope.FromString(p) for p in payloads]


async def chunk_messages(engine: AsyncEngine, job_id: str) -> list[tuple[str, bytes, bool]]:
    """(message id, body, published?) of the job's work messages, in outbox order."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT message_id::text, payload, published_at IS NOT NULL FROM outbox"
                " WHERE exchange = 'work' AND headers ->> 'job_id' = :job ORDER BY id"
            ),
            {"job": job_id},
        )
        return [tuple(r) for r in rows]
