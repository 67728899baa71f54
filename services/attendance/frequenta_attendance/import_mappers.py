"""Protobuf <-> domain for bulk imports and turnstile streams.

Bulk rows are not decoded into datetimes here: their instants travel as integer microseconds
to the worker, which refuses a bad one as that row's rejection, not the whole batch's.
"""

from collections.abc import Iterable

from google.protobuf.timestamp_pb2 import Timestamp

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.handlers.turnstile import Passage, PassageKind, PassageOutcome
from frequenta_attendance.import_repository import Job
from frequenta_attendance.mappers import instant, timestamp

_KINDS = {
    pb.TURNSTILE_EVENT_KIND_ENTRY: PassageKind.ENTRY,
    pb.TURNSTILE_EVENT_KIND_EXIT: PassageKind.EXIT,
}


def _microseconds(value: Timestamp) -> int:
    return value.seconds * 1_000_000 + value.nanos // 1000


def raw_rows(rows: Iterable[pb.CheckInRow]) -> list[RawRow]:
    return [
        RawRow(
            member_id=row.member_id,
            entered_us=_microseconds(row.entered_at) if row.HasField("entered_at") else None,
            exited_us=_microseconds(row.exited_at) if row.HasField("exited_at") else None,
            device_id=row.device_id,
            idempotency_key=row.idempotency_key,
        )
        for row in rows
    ]


def batch_job(job: Job) -> pb.CheckInBatchJob:
    encoded = pb.CheckInBatchJob(
        job_id=str(job.id),
        state=pb.JobState.Value(f"JOB_STATE_{job.state.name}"),
        total_rows=job.total_rows,
        processed_rows=job.processed_rows,
        accepted=job.accepted,
        duplicates=job.duplicates,
        rejected=job.rejected,
        rejected_rows=[
            pb.RejectedRow(row_number=r.row_number, reason=r.code, message=r.message)
            for r in job.rejected_rows
        ],
        submitted_at=timestamp(job.submitted_at),
        error=job.error or "",
    )
    if job.started_at is not None:
        encoded.started_at.CopyFrom(timestamp(job.started_at))
    if job.finished_at is not None:
        encoded.finished_at.CopyFrom(timestamp(job.finished_at))
    return encoded


def passage(event: pb.TurnstileEvent) -> Passage:
    """The passage of one streamed event; raises VALIDATION_ERROR for an undecodable instant."""
    return Passage(
        kind=_KINDS.get(event.kind),
        member_id=event.member_id,
        occurred_at=instant(event, "occurred_at"),
        device_id=event.device_id,
        idempotency_key=event.idempotency_key,
    )


def passage_result(index: int, outcome: PassageOutcome) -> pb.TurnstileEventResult:
    return pb.TurnstileEventResult(
        index=index,
        accepted=outcome.accepted,
        duplicate=outcome.duplicate,
        reason=outcome.reason,
        message=outcome.message,
    )
