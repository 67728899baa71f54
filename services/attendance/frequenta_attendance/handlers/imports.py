"""Bulk imports of check-ins (docs/bulk-imports.md).

- ``submit_batch``: in one transaction, create the job and put its rows, in chunks, in the
  outbox as work messages: once it answers, nothing accepted can be lost, broker up or down.
- ``process_chunk`` (the ingestion worker): screen the rows on their own
  (``import_rows.screen_rows``), then in one transaction per chunk claim the chunk (a
  redelivered one changes nothing), lock its members in id order, decide every row with the
  rules of a single check-in (``import_decisions``: the clear rows at once, the others by the
  full plan), insert the accepted rows in one statement, write one ``checkins.imported`` event
  per member, add the counts to the job and keep its first rejections.
- ``get_batch``: the job's state, counts and first rejected rows.
"""

import logging
import math
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from frequenta_attendance import chunks, events
from frequenta_attendance.clock import Clock
from frequenta_attendance.domain import errors
from frequenta_attendance.domain.batch import CheckedRows, ImportRow, JobState, RawRow, Rejection
from frequenta_attendance.domain.batch_triage import Decision
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.domain.rules import GymRules
from frequenta_attendance.handlers.import_decisions import (
    decide_if_keys_free,
    decide_rows,
    read_stored,
)
from frequenta_attendance.handlers.import_rows import screen_rows
from frequenta_attendance.import_repository import ChunkCounts, Job, NewJob
from frequenta_attendance.uow import UnitOfWork

log = logging.getLogger(__name__)


def _job_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise errors.invalid("job_id", "job_id must be a UUID") from None


async def submit_batch(
    *,
    uow: UnitOfWork,
    clock: Clock,
    rows: Sequence[RawRow],
    source: CheckInSource | None,
    max_rows: int,
    chunk_rows: int,
) -> Job:
    """Queue ``rows`` for import; the job, QUEUED."""
    if not 1 <= len(rows) <= max_rows:
        raise errors.invalid("rows", f"a batch holds 1 to {max_rows} rows, not {len(rows)}")
    stored_as = source or CheckInSource.IMPORT
    job_id = uuid.uuid4()
    new = NewJob(
        id=job_id,
        source=stored_as,
        total_rows=len(rows),
        chunk_rows=chunk_rows,
        chunks=math.ceil(len(rows) / chunk_rows),
        submitted_at=clock(),
    )
    async with uow:
        job = await uow.imports.add_job(new)
        for chunk in chunks.split(job_id, stored_as, rows, chunk_rows):
            uow.outbox.add_work(
                chunks.QUEUE,
                chunks.encode(chunk),
                chunks.message_id(job_id, chunk.number),
                message_type=chunks.MESSAGE_TYPE,
                content_type=chunks.CONTENT_TYPE,
                headers={"job_id": str(job_id), "chunk": chunk.number},
                occurred_at=new.submitted_at,
            )
        await uow.commit()
    log.info("import job %s queued: %d rows in %d chunks", job_id, len(rows), new.chunks)
    return job


async def get_batch(*, uow: UnitOfWork, job_id: str) -> Job:
    async with uow:
        job = await uow.imports.get_job(_job_id(job_id))
    if job is None:
        raise errors.job_not_found(job_id)
    return job


@dataclass(frozen=True)
class ChunkOutcome:
    job_id: uuid.UUID
    chunk: int
    # True when the chunk had been processed already (a redelivery): nothing was changed.
    already_done: bool
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    # The job's state after this chunk (None for a redelivery).
    state: JobState | None = None


async def process_chunk(
    *, uow: UnitOfWork, clock: Clock, rules: GymRules, chunk: chunks.Chunk
) -> ChunkOutcome:
    started_at = clock()
    # In batch order: when rows of one chunk conflict, the earlier row wins.
    rows, rejections = screen_rows(sorted(chunk.rows, key=_row_number), now=started_at, rules=rules)
    async with uow:
        if await uow.imports.job_state(chunk.job_id) is None:
            raise errors.job_not_found(str(chunk.job_id))
        if not await uow.imports.claim_chunk(chunk.job_id, chunk.number, started_at):
            log.info("chunk %d of job %s was processed already", chunk.number, chunk.job_id)
            return ChunkOutcome(chunk.job_id, chunk.number, already_done=True)
        decision, ids = await _decide_and_insert(
            uow, rows, chunk.source, now=started_at, rules=rules
        )
        duplicates = decision.duplicates
        rejections += decision.rejections
        lost = [
            rows.import_row(index)
            for index, id_ in zip(decision.accepted, ids, strict=True)
            if not id_
        ]
        if lost:
            lost_duplicates, lost_rejections = await _decide_lost(uow, lost)
            duplicates += lost_duplicates
            rejections += lost_rejections
        accepted = await _add_events(uow, chunk, rows, decision.accepted, ids)
        counts = ChunkCounts(
            processed=len(chunk.rows),
            accepted=accepted,
            duplicates=duplicates,
            rejected=len(rejections),
        )
        state = await uow.imports.record_progress(
            chunk.job_id, counts, started_at=started_at, now=clock()
        )
        await uow.imports.keep_rejections(chunk.job_id, rejections)
        await uow.commit()
    log.info(
        "chunk %d of job %s: %d accepted, %d duplicates, %d rejected; job %s",
        chunk.number,
        chunk.job_id,
        counts.accepted,
        counts.duplicates,
        counts.rejected,
        state.name,
    )
    return ChunkOutcome(
        chunk.job_id,
        chunk.number,
        already_done=False,
        accepted=counts.accepted,
        duplicates=counts.duplicates,
        rejected=counts.rejected,
        state=state,
    )


async def fail_job(*, uow: UnitOfWork, clock: Clock, job_id: uuid.UUID, error: str) -> None:
    """Mark the job FAILED (one of its chunks can never be processed); a finished job stays."""
    async with uow:
        await uow.imports.mark_failed(job_id, error, clock())
        await uow.commit()
    log.error("import job %s failed: %s", job_id, error)


async def _decide_and_insert(
    uow: UnitOfWork, rows: CheckedRows, source: CheckInSource, *, now: datetime, rules: GymRules
) -> tuple[Decision, list[int]]:
    """Decide the rows and insert the accepted ones: first as if no stored visit held a key of
    the chunk (the insert proves it for the accepted rows), else again with the keys read
    (``import_decisions``); the decision and the id of each accepted row (0: skipped, see
    ``ImportRepository.insert_checked``)."""
    stored = await read_stored(uow, rows, now=now, rules=rules)
    hoped = await decide_if_keys_free(uow, rows, stored, now=now, rules=rules)
    if hoped is not None:
        ids = await uow.imports.insert_if_free(rows, hoped.accepted, source)
        if ids is not None:
            return hoped, ids
    decision = await decide_rows(uow, rows, stored, now=now, rules=rules)
    return decision, await uow.imports.insert_checked(rows, decision.accepted, source)


async def _decide_lost(uow: UnitOfWork, lost: Sequence[ImportRow]) -> tuple[int, list[Rejection]]:
    """Rows skipped by the insert because a concurrent transaction committed the same key
    meanwhile (another member's row: its lock is not ours): a duplicate if that visit is this
    row, else IDEMPOTENCY_KEY_REUSED."""
    keys = [row.idempotency_key for row in lost if row.idempotency_key is not None]
    by_key = await uow.imports.visits_by_keys(keys)
    duplicates, rejections = 0, []
    for row in lost:
        other = by_key.get(row.idempotency_key) if row.idempotency_key else None
        if other is not None and (other.member_id, other.entered_at) == (
            row.member_id,
            row.entered_at,
        ):
            duplicates += 1
            continue
        error = errors.idempotency_key_reused() if other else errors.visit_overlaps_unknown()
        rejections.append(Rejection(row.row_number, error.code, error.message))
    return duplicates, rejections


def _row_number(numbered: tuple[int, RawRow]) -> int:
    return numbered[0]


async def _add_events(
    uow: UnitOfWork,
    chunk: chunks.Chunk,
    rows: CheckedRows,
    positions: Sequence[int],
    ids: Sequence[int],
) -> int:
    """One ``checkins.imported`` event per member of the visits this chunk stored (the rows at
    ``positions`` whose id is not 0); how many visits that is."""
    by_member: defaultdict[int, list[events.ImportedVisit]] = defaultdict(list)
    members, entries, exits, devices = rows.members, rows.entered_us, rows.exited_us, rows.devices
    stored = 0
    for index, visit_id in zip(positions, ids, strict=True):
        if visit_id:
            by_member[members[index]].append(
                (visit_id, entries[index], exits[index], devices[index])
            )
            stored += 1
    await uow.outbox.add_many(
        [
            events.visits_imported(member_id, by_member[member_id], chunk.source, chunk.job_id)
            for member_id in sorted(by_member)
        ]
    )
    return stored
