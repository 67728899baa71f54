"""Reading the projection for serving and training, as the model's own types (ml.records).

Only members whose registration has been applied count (a member known only from a later event
is not complete yet), with their visits. A read that opens its session's transaction makes it a
REPEATABLE READ snapshot, so members and visits agree even while events are being applied (in a
transaction already open, it reads in that one).

``active_columns`` is the batch-scoring read: the visits come out of PostgreSQL with binary
``COPY`` as fixed-width int64 rows that numpy reads in place (no Python object per visit).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from frequenta_churn.ml.records import NEVER, GymColumns, MemberRecord, VisitRecord

_SNAPSHOT = text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
_REGISTERED = "data_matricula IS NOT NULL"
_ACTIVE = f"{_REGISTERED} AND data_cancelamento IS NULL"
_MEMBER = (
    "SELECT id, plano_codigo, plano_duracao_meses, data_matricula, data_cancelamento FROM alunos"
)
_VISIT = "SELECT aluno_id, data_entrada, data_saida FROM checkins"


def _ms(column: str) -> str:
    """An instant as int64 milliseconds since the epoch, floored like ml.localtime.to_ms;
    NEVER when NULL."""
    return f"COALESCE(floor(extract(epoch FROM {column}) * 1000)::bigint, {NEVER})"


def _member(row) -> MemberRecord:
    return MemberRecord(row[0], row[1], row[2], row[3].astimezone(UTC), _utc(row[4]))


def _visit(row) -> VisitRecord:
    return VisitRecord(row[0], row[1].astimezone(UTC), _utc(row[2]))


async def _snapshot(session: AsyncSession) -> None:
    if not session.in_transaction():
        await session.execute(_SNAPSHOT)  # the first statement of the transaction it opens


def _utc(instant: datetime | None) -> datetime | None:
    return None if instant is None else instant.astimezone(UTC)


async def member_history(
    session: AsyncSession, member_id: int
) -> tuple[MemberRecord, list[VisitRecord]] | None:
    """One member and their visits in entry order (online features: ml.features.features_as_of);
    None if the member is unknown, or known only from events after the registration."""
    await _snapshot(session)
    row = (
        await session.execute(
            text(f"{_MEMBER} WHERE id = :id AND {_REGISTERED}"), {"id": member_id}
        )
    ).first()
    if row is None:
        return None
    visits = await session.execute(
        text(f"{_VISIT} WHERE aluno_id = :id ORDER BY data_entrada, id"), {"id": member_id}
    )
    return _member(row), [_visit(v) for v in visits]


async def records(session: AsyncSession) -> tuple[list[MemberRecord], list[VisitRecord]]:
    """Every registered member (id order) and their visits (member, entry order): what training
    reads, the same records as attendance's exports carry."""
    await _snapshot(session)
    members = await session.execute(text(f"{_MEMBER} WHERE {_REGISTERED} ORDER BY id"))
    visits = await session.execute(
        text(
            f"{_VISIT} WHERE aluno_id IN (SELECT id FROM alunos WHERE {_REGISTERED})"
            " ORDER BY aluno_id, data_entrada, id"
        )
    )
    return [_member(m) for m in members], [_visit(v) for v in visits]


async def active_columns(session: AsyncSession, tz: ZoneInfo) -> GymColumns:
    """The active members (registered, not cancelled) and all their visits as GymColumns, for
    scoring every member at once (ml.features.features_at)."""
    await _snapshot(session)
    members = (
        await session.execute(
            text(
                f"SELECT id, plano_codigo, plano_duracao_meses, {_ms('data_matricula')}"
                f" FROM alunos WHERE {_ACTIVE} ORDER BY id"
            )
        )
    ).all()
    visits = await _copy_int64(
        session,
        f"SELECT c.aluno_id, {_ms('c.data_entrada')}, {_ms('c.data_saida')} FROM checkins c"
        " JOIN alunos a ON a.id = c.aluno_id"
        " WHERE a.data_matricula IS NOT NULL AND a.data_cancelamento IS NULL",
        columns=3,
    )
    return GymColumns.from_arrays(
        tz=tz,
        member_ids=np.fromiter((m[0] for m in members), np.int64, len(members)),
        plan_codes=np.array([m[1] for m in members], dtype=str),
        plan_months=np.fromiter((m[2] for m in members), np.int64, len(members)),
        enrolled_ms=np.fromiter((m[3] for m in members), np.int64, len(members)),
        cancelled_ms=np.full(len(members), NEVER, dtype=np.int64),
        visit_member_ids=visits[:, 0],
        entry_ms=visits[:, 1],
        exit_ms=visits[:, 2],
    )


_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


async def _copy_int64(session: AsyncSession, query: str, *, columns: int) -> np.ndarray:
    """Rows of a query of ``columns`` non-null bigint columns as an int64 array (rows x columns),
    through binary COPY on the session's connection (and transaction)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    chunks: list[bytes] = []

    async def collect(chunk: bytes) -> None:
        chunks.append(bytes(chunk))

    await raw.driver_connection.copy_from_query(query, output=collect, format="binary")
    data = b"".join(chunks)
    if not data.startswith(_COPY_SIGNATURE):
        raise ValueError("not a binary COPY stream")
    extension = int.from_bytes(data[15:19], "big")
    start = 19 + extension
    fields = [("n", ">i2")]
    for column in range(columns):
        fields += [(f"len{column}", ">i4"), (f"v{column}", ">i8")]
    row = np.dtype(fields)
    body = len(data) - start - 2  # the trailer: a field count of -1
    if body % row.itemsize or data[-2:] != b"\xff\xff":
        raise ValueError("unexpected binary COPY layout")
    rows = np.frombuffer(data, dtype=row, count=body // row.itemsize, offset=start)
    if rows.size and (
        np.any(rows["n"] != columns) or any(np.any(rows[f"len{c}"] != 8) for c in range(columns))
    ):
        raise ValueError("binary COPY rows are not all non-null bigints")
    return np.column_stack([rows[f"v{c}"].astype(np.int64) for c in range(columns)]).reshape(
        -1, columns
    )
