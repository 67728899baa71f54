"""Protobuf <-> domain for bulk imports and turnstile streams.

Bulk rows are not decoded into datetimes here: their instants travel as integer microseconds
to the worker, which refuses a bad one as that row's rejection, not the whole batch's.
"""

from collections.abc import Iterable

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.handlers.turnstile import Passage, PassageKind, PassageOutcome
from frequenta_attendance.import_repository import Job
from frequenta_attendance.mappers import instant, timestamp

_KINDS = {
    pb.TURNSTILE_EVENT_KIND_ENTRY: PassageKind.ENTRY,
    pb.TURNSTILE_EVENT_KIND_EXIT: PassageKind.EXIT,
}


def raw_rows(rows: Iterable[pb.CheckInRow]) -> list[RawRow]:
    """The rows as sent (one tight loop: a batch holds up to 100,000 of them)."""
    out: list[RawRow] = []
    append, make = out.append, RawRow._make
    for row in rows:
        has = row.HasField
        entered = exited = None
        if has("entered_at"):
            stamp = row.entered_at
            entered = stamp.seconds * 1_000_000 + stamp.nanos // 1000
        if has("exited_at"):
            stamp = row.exited_at
            exited = stamp.seconds * 1_000_000 + stamp.nanos // 1000
        append(make((row.member_id, entered, exited, row.device_id, row.idempotency_key)))
    return out


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
