"""The accepted rows of a chunk on their way into ``checkins``: a binary COPY into a temporary
table of the transaction's own connection (``import_stage``, emptied at commit), from which one
``INSERT ... SELECT`` stores them.

Why not arrays through ``unnest``: asyncpg encodes array parameters element by element, with
two abstract-base-class checks per value; COPY encodes rows with the column codecs directly,
about four times less CPU in the worker for the same statement on the server. The table is
created once per database connection (``IF NOT EXISTS``), lives in that session's temporary
schema (so concurrent chunks, each on its own connection, never meet), is never logged, and
``ON COMMIT DELETE ROWS`` empties it whatever happens; a rollback takes the copied rows away.
"""

from collections.abc import Iterable

from asyncpg import Connection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

TABLE = "import_stage"
COLUMNS = ("id", "aluno_id", "entrada", "saida", "dispositivo", "chave")

_CREATE = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {TABLE} (id bigint NOT NULL, aluno_id bigint NOT NULL,"
    " entrada bigint NOT NULL, saida bigint, dispositivo text, chave text) ON COMMIT DELETE ROWS"
)


async def stage(
    session: AsyncSession,
    records: Iterable[tuple[int, int, int, int | None, str | None, str | None]],
) -> None:
    """Copy ``records`` (id, member, entry, exit, device, key; instants in microseconds since
    1970) into the stage, in the session's transaction."""
    await session.execute(_CREATE)
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Connection = raw.driver_connection  # type: ignore[assignment]
    await driver.copy_records_to_table(TABLE, records=records, columns=COLUMNS)
