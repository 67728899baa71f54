"""The SQL of bulk imports: jobs (``import_jobs``), their processed chunks
(``import_job_chunks``) and kept rejections (``import_job_rejections``), and the set-based reads
and writes of visits a chunk needs, one statement each whatever the number of rows (arrays
through ``unnest``; no round trip per row). Like every repository it never commits."""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_attendance import import_staging
from frequenta_attendance.domain.batch import (
    MAX_REJECTED_ROWS_KEPT,
    CheckedRows,
    ImportRow,
    JobState,
    Rejection,
)
from frequenta_attendance.domain.batch_triage import Span
from frequenta_attendance.domain.enums import CheckInSource
from frequenta_attendance.domain.visits import Window


@dataclass(frozen=True, slots=True)
class MemberDates:
    id: int
    enrolled_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredVisit:
    id: int
    member_id: int
    entered_at: datetime
    exited_at: datetime | None
    idempotency_key: str | None


@dataclass(frozen=True)
class NewJob:
    id: uuid.UUID
    source: CheckInSource
    total_rows: int
    chunk_rows: int
    chunks: int
    submitted_at: datetime


@dataclass(frozen=True)
class Job:
    """A job as its status reports it."""

    id: uuid.UUID
    state: JobState
    source: CheckInSource
    total_rows: int
    processed_rows: int
    accepted: int
    duplicates: int
    rejected: int
    chunks: int
    chunks_done: int
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    rejected_rows: Sequence[Rejection] = ()


@dataclass(frozen=True)
class ChunkCounts:
    processed: int
    accepted: int
    duplicates: int
    rejected: int


# Microseconds since 1970 to timestamptz, exactly (integer arithmetic below 2**53 microseconds,
# the year 2255).
def _instant_sql(column: str) -> str:
    return f"timestamptz 'epoch' + {column} * interval '1 microsecond'"


# :n values of the sequence of checkins.id (its name looked up once, not once per value).
_NEW_VISIT_IDS = text(
    "SELECT array_agg(nextval(q.seq)) FROM (SELECT CAST(pg_get_serial_sequence('checkins',"
    " 'id') AS regclass) AS seq OFFSET 0) AS q, generate_series(1, :n)"
)
_INSERT_CHECKED = (
    "INSERT INTO checkins (id, aluno_id, data_entrada, data_saida, origem, dispositivo_id,"
    " chave_idempotencia)"
    f" SELECT s.id, s.aluno_id, {_instant_sql('s.entrada')}, {_instant_sql('s.saida')}, :source,"
    f" s.dispositivo, s.chave FROM {import_staging.TABLE} AS s"
)
_UNIQUE_VIOLATION = "23505"

_JOB_COLUMNS = (
    "id, state, source, total_rows, processed_rows, accepted, duplicates, rejected, chunks,"
    " chunks_done, submitted_at, started_at, finished_at, error"
)


def _job(row: Sequence[object], rejected_rows: Sequence[Rejection] = ()) -> Job:
    values = list(row)
    values[1] = JobState(values[1])
    values[2] = CheckInSource(values[2])
    return Job(*values, rejected_rows=rejected_rows)  # type: ignore[arg-type]


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- jobs -------------------------------------------------------------------------------------

    async def add_job(self, job: NewJob) -> Job:
        row = (
            await self._session.execute(
                text(
                    "INSERT INTO import_jobs (id, state, source, total_rows, chunk_rows, chunks,"
                    " submitted_at) VALUES (:id, :state, :source, :total, :chunk_rows,"
                    f" :chunks, :submitted_at) RETURNING {_JOB_COLUMNS}"
                ),
                {
                    "id": job.id,
                    "state": JobState.QUEUED.value,
                    "source": job.source.value,
                    "total": job.total_rows,
                    "chunk_rows": job.chunk_rows,
                    "chunks": job.chunks,
                    "submitted_at": job.submitted_at,
                },
            )
        ).one()
        return _job(row)

    async def get_job(self, job_id: uuid.UUID) -> Job | None:
        row = (
            await self._session.execute(
                text(f"SELECT {_JOB_COLUMNS} FROM import_jobs WHERE id = :id"), {"id": job_id}
            )
        ).one_or_none()
        if row is None:
            return None
        rejections = await self._session.execute(
            text(
                "SELECT row_number, reason, message FROM import_job_rejections"
                " WHERE job_id = :id ORDER BY row_number LIMIT :limit"
            ),
            {"id": job_id, "limit": MAX_REJECTED_ROWS_KEPT},
        )
        return _job(row, [Rejection(*r) for r in rejections])

    async def job_state(self, job_id: uuid.UUID) -> JobState | None:
        state = await self._session.scalar(
            text("SELECT state FROM import_jobs WHERE id = :id"), {"id": job_id}
        )
        return None if state is None else JobState(state)

    async def claim_chunk(self, job_id: uuid.UUID, number: int, now: datetime) -> bool:
        """Mark the chunk processed in this transaction; False if it already was (a redelivery).
        A concurrent claim of the same chunk waits here until the first one ends."""
        claimed = await self._session.scalar(
            text(
                "INSERT INTO import_job_chunks (job_id, chunk, processed_at)"
                " VALUES (:job, :number, :now) ON CONFLICT DO NOTHING RETURNING chunk"
            ),
            {"job": job_id, "number": number, "now": now},
        )
        return claimed is not None

    async def record_progress(
        self, job_id: uuid.UUID, counts: ChunkCounts, *, started_at: datetime, now: datetime
    ) -> JobState:
        """Add one processed chunk's counts; the job succeeds with its last chunk (a failed job
        stays failed). Locks the job row until commit, so concurrent chunks count in turn."""
        state = await self._session.scalar(
            text(
                "UPDATE import_jobs SET chunks_done = chunks_done + 1,"
                " processed_rows = processed_rows + :processed, accepted = accepted + :accepted,"
                " duplicates = duplicates + :duplicates, rejected = rejected + :rejected,"
                " started_at = least(coalesce(started_at, :started_at), :started_at),"
                " state = CASE WHEN state = :failed THEN state"
                "  WHEN chunks_done + 1 >= chunks THEN :succeeded ELSE :running END,"
                " finished_at = CASE WHEN state <> :failed"
                "  AND chunks_done + 1 >= chunks THEN :now ELSE finished_at END"
                " WHERE id = :job RETURNING state"
            ),
            {
                "job": job_id,
                "processed": counts.processed,
                "accepted": counts.accepted,
                "duplicates": counts.duplicates,
                "rejected": counts.rejected,
                "started_at": started_at,
                "now": now,
                "failed": JobState.FAILED.value,
                "succeeded": JobState.SUCCEEDED.value,
                "running": JobState.RUNNING.value,
            },
        )
        if state is None:
            raise LookupError(f"import job {job_id} vanished")
        return JobState(state)

    async def keep_rejections(self, job_id: uuid.UUID, rejections: Sequence[Rejection]) -> None:
        """Keep the job's first rejected rows by row number, at most MAX_REJECTED_ROWS_KEPT.
        Call it after ``record_progress`` (holding the job row), so the trim sees every chunk
        committed before."""
        kept = sorted(rejections, key=lambda r: r.row_number)[:MAX_REJECTED_ROWS_KEPT]
        if not kept:
            return
        await self._session.execute(
            text(
                "INSERT INTO import_job_rejections (job_id, row_number, reason, message)"
                " SELECT :job, * FROM unnest(CAST(:rows AS integer[]), CAST(:codes AS text[]),"
                " CAST(:messages AS text[])) ON CONFLICT DO NOTHING"
            ),
            {
                "job": job_id,
                "rows": [r.row_number for r in kept],
                "codes": [r.code for r in kept],
                "messages": [r.message for r in kept],
            },
        )
        await self._session.execute(
            text(
                "DELETE FROM import_job_rejections WHERE job_id = :job AND row_number >"
                " (SELECT row_number FROM import_job_rejections WHERE job_id = :job"
                "  ORDER BY row_number OFFSET :keep LIMIT 1)"
            ),
            {"job": job_id, "keep": MAX_REJECTED_ROWS_KEPT - 1},
        )

    async def mark_failed(self, job_id: uuid.UUID, error: str, now: datetime) -> None:
        await self._session.execute(
            text(
                "UPDATE import_jobs SET state = :failed, error = :error,"
                " finished_at = coalesce(finished_at, :now)"
                " WHERE id = :job AND state <> :succeeded"
            ),
            {
                "job": job_id,
                "error": error[:2000],
                "now": now,
                "failed": JobState.FAILED.value,
                "succeeded": JobState.SUCCEEDED.value,
            },
        )

    # -- members and visits -------------------------------------------------------------------

    async def lock_members(self, member_ids: Sequence[int]) -> dict[int, MemberDates]:
        """Lock the existing members among ``member_ids`` in id order (the order every multi-member
        writer uses, so two never wait on each other crosswise) and return their dates."""
        rows = await self._session.execute(
            text(
                "SELECT id, data_matricula, data_cancelamento FROM alunos"
                " WHERE id = ANY(CAST(:ids AS bigint[])) ORDER BY id FOR NO KEY UPDATE"
            ),
            {"ids": sorted(set(member_ids))},
        )
        return {row.id: MemberDates(*row) for row in rows}

    async def visits_by_keys(self, keys: Sequence[str]) -> dict[str, StoredVisit]:
        if not keys:
            return {}
        rows = await self._session.execute(
            text(
                "SELECT id, aluno_id, data_entrada, data_saida, chave_idempotencia FROM checkins"
                " WHERE chave_idempotencia = ANY(CAST(:keys AS text[]))"
            ),
            {"keys": list(set(keys))},
        )
        return {row.chave_idempotencia: StoredVisit(*row) for row in rows}

    async def visits_nearby(self, windows: Mapping[int, Window]) -> list[StoredVisit]:
        """Every stored visit of each member whose entry falls in that member's window."""
        if not windows:
            return []
        members = list(windows)
        rows = await self._session.execute(
            text(
                "SELECT c.id, c.aluno_id, c.data_entrada, c.data_saida, c.chave_idempotencia"
                " FROM unnest(CAST(:members AS bigint[]), CAST(:since AS timestamptz[]),"
                " CAST(:until AS timestamptz[])) AS w(aluno_id, since, until)"
                " JOIN checkins c ON c.aluno_id = w.aluno_id AND c.data_entrada >= w.since"
                " AND c.data_entrada <= coalesce(w.until, 'infinity')"
            ),
            {
                "members": members,
                "since": [windows[m].since for m in members],
                "until": [windows[m].until for m in members],
            },
        )
        return [StoredVisit(*row) for row in rows]

    async def insert_visits(
        self, rows: Sequence[ImportRow], source: CheckInSource
    ) -> list[StoredVisit]:
        """Insert ``rows`` in one statement; the visits inserted. A row that meets a unique index
        (same key, or same member and entry, committed meanwhile) is skipped, not an error."""
        if not rows:
            return []
        result = await self._session.execute(
            text(
                "INSERT INTO checkins (aluno_id, data_entrada, data_saida, origem, dispositivo_id,"
                " chave_idempotencia)"
                " SELECT r.aluno_id, r.data_entrada, r.data_saida, :source, r.dispositivo_id,"
                " r.chave FROM unnest(CAST(:members AS bigint[]), CAST(:entries AS timestamptz[]),"
                " CAST(:exits AS timestamptz[]), CAST(:devices AS text[]),"
                " CAST(:keys AS text[])) AS r(aluno_id, data_entrada, data_saida, dispositivo_id,"
                " chave)"
                " ON CONFLICT DO NOTHING"
                " RETURNING id, aluno_id, data_entrada, data_saida, chave_idempotencia"
            ),
            {
                "source": source.value,
                "members": [r.member_id for r in rows],
                "entries": [r.entered_at for r in rows],
                "exits": [r.exited_at for r in rows],
                "devices": [r.device_id for r in rows],
                "keys": [r.idempotency_key for r in rows],
            },
        )
        return [StoredVisit(*row) for row in result]

    async def visits_near(self, spans: Mapping[int, Span]) -> list[StoredVisit]:
        """``visits_nearby`` with the windows in microseconds since 1970."""
        if not spans:
            return []
        members = list(spans)
        # One index range scan per member (LATERAL ... OFFSET 0 keeps the join a loop over the
        # windows): statistics lagging behind an import made the planner hash the whole of
        # checkins for every chunk (20 ms at 100,000 rows, growing with the table; 0.3 ms so).
        rows = await self._session.execute(
            text(
                "SELECT c.id, c.aluno_id, c.data_entrada, c.data_saida, c.chave_idempotencia"
                " FROM unnest(CAST(:members AS bigint[]), CAST(:since AS bigint[]),"
                " CAST(:until AS bigint[])) AS w(aluno_id, since, until)"
                " CROSS JOIN LATERAL (SELECT c.id, c.aluno_id, c.data_entrada, c.data_saida,"
                " c.chave_idempotencia FROM checkins c WHERE c.aluno_id = w.aluno_id"
                f" AND c.data_entrada >= {_instant_sql('w.since')} AND c.data_entrada <="
                f" coalesce({_instant_sql('w.until')}, 'infinity') OFFSET 0) AS c"
            ),
            {
                "members": members,
                "since": [spans[m].since for m in members],
                "until": [spans[m].until for m in members],
            },
        )
        return [StoredVisit(*row) for row in rows]

    async def insert_checked(
        self, rows: CheckedRows, positions: Sequence[int], source: CheckInSource
    ) -> list[int]:
        """Insert the rows at ``positions`` of ``rows`` (ascending) in one statement, through
        the stage (``import_staging``); the id of each (taken from the table's sequence first,
        so no row comes back to be matched), or 0 for a row a unique index skipped: its key, or
        its member and entry, committed meanwhile by a concurrent transaction (another member's
        row: its lock is not ours).

        The plain INSERT runs in a savepoint: ON CONFLICT DO NOTHING costs about a third more
        per row, and a conflict is rare; when one happens, the savepoint is rolled back and the
        rows are inserted again skipping the conflicting ones."""
        if not positions:
            return []
        ids = await self._stage(rows, positions)
        values = {"source": source.value}
        try:
            async with self._session.begin_nested():
                await self._session.execute(text(_INSERT_CHECKED), values)
            return ids
        except sa_exc.IntegrityError as error:
            _unless_unique_violation(error)
        inserted = set(
            await self._session.scalars(
                text(_INSERT_CHECKED + " ON CONFLICT DO NOTHING RETURNING id"), values
            )
        )
        return [visit_id if visit_id in inserted else 0 for visit_id in ids]

    async def insert_if_free(
        self, rows: CheckedRows, positions: Sequence[int], source: CheckInSource
    ) -> list[int] | None:
        """``insert_checked`` when no unique index refuses any of the rows: their ids; else
        None, and nothing was inserted or staged (all in a savepoint rolled back)."""
        if not positions:
            return []
        try:
            async with self._session.begin_nested():
                ids = await self._stage(rows, positions)
                await self._session.execute(text(_INSERT_CHECKED), {"source": source.value})
            return ids
        except sa_exc.IntegrityError as error:
            _unless_unique_violation(error)
            return None

    async def _stage(self, rows: CheckedRows, positions: Sequence[int]) -> list[int]:
        """Copy the rows at ``positions`` into the stage, each with a new id; the ids."""
        ids: list[int] = await self._session.scalar(_NEW_VISIT_IDS, {"n": len(positions)})
        columns = (rows.members, rows.entered_us, rows.exited_us, rows.devices, rows.keys)
        if len(positions) != len(rows):  # some rows are not to be stored
            columns = tuple([column[i] for i in positions] for column in columns)
        await import_staging.stage(self._session, zip(ids, *columns, strict=True))
        return ids


def _unless_unique_violation(error: sa_exc.IntegrityError) -> None:
    """Raise ``error`` again unless a unique index refused a row."""
    if getattr(error.orig, "sqlstate", None) != _UNIQUE_VIOLATION:
        raise error
