"""Protobuf <-> domain for bulk imports and turnstile streams.

Bulk rows are not decoded into datetimes here: their instants travel as integer microseconds
to the worker, which refuses a bad one as that row's rejection, not the whole batch's.
"""

from collections.abc import Iterable, Sequence
from functools import partial
from typing import TypeVar

from frequenta.attendance.v1 import attendance_pb2 as pb
from frequenta_attendance.domain import errors
from frequenta_attendance.domain.batch import RawRow
from frequenta_attendance.handlers.turnstile import Passage, PassageKind, PassageOutcome
from frequenta_attendance.import_repository import Job
from frequenta_attendance.mappers import instant, timestamp

T = TypeVar("T")

_KINDS = {
    pb.TURNSTILE_EVENT_KIND_ENTRY: PassageKind.ENTRY,
    pb.TURNSTILE_EVENT_KIND_EXIT: PassageKind.EXIT,
}


def batch_rows(request: pb.SubmitCheckInBatchRequest) -> list[RawRow]:
    """The rows of a batch as sent, given as rows or as columns (VALIDATION_ERROR for both, or
    for columns of different lengths)."""
    if not request.HasField("columns"):
        return raw_rows(request.rows)
    if request.rows:
        raise errors.invalid("columns", "send the batch as rows or as columns, not both")
    return column_rows(request.columns)


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


def column_rows(columns: pb.CheckInColumns) -> list[RawRow]:
    """The rows of packed columns (whole columns at a time: no protobuf object per row)."""
    members = list(columns.member_ids)
    count = len(members)
    entries: list[int | None] = list(columns.entered_at_us)
    exits = _optional_column(columns.exited_at_us, count, "exited_at_us", None)
    has_exit = _optional_column(columns.has_exit, count, "has_exit", False)
    if len(entries) != count or (len(columns.exited_at_us) != len(columns.has_exit)):
        raise errors.invalid(
            "columns",
            "member_ids and entered_at_us need one value per row, exited_at_us and has_exit"
            " as many values as each other",
        )
    if not all(has_exit):
        exits = [exit_us if given else None for exit_us, given in zip(exits, has_exit, strict=True)]
    return list(
        map(
            _raw_row,
            zip(
                members,
                entries,
                exits,
                _optional_column(columns.device_ids, count, "device_ids", ""),
                _optional_column(columns.idempotency_keys, count, "idempotency_keys", ""),
                strict=True,
            ),
        )
    )


_raw_row = partial(tuple.__new__, RawRow)  # RawRow from a tuple of its five values


def _optional_column(values: Sequence[T], count: int, name: str, absent: T) -> list[T]:
    """A column given for every row, or for none (then ``absent`` for each)."""
    if not values:
        return [absent] * count
    if len(values) != count:
        raise errors.invalid("columns", f"{name} needs one value per row or none")
    return list(values)


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
