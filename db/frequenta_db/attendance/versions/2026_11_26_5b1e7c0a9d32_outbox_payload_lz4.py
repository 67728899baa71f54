"""Outbox payloads compressed with lz4 instead of pglz.

A bulk import writes its batch to the outbox (about 8 MB of JSON chunks per 100,000 rows) and
an event per member and chunk; pglz, PostgreSQL's default, spends about 0.2 s of the server's
CPU compressing 100,000 rows' worth, and the relay's reads decompress it again. lz4 compresses
several times faster for nearly the same size. A server built without lz4 keeps the payloads
uncompressed (STORAGE EXTERNAL): more disk until the relay prunes them, no compression work.
Rows already stored keep their compression.

Revision ID: 5b1e7c0a9d32
Revises: 90975b4dd5b8
Create Date: 2026-11-26 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b1e7c0a9d32"
down_revision: str | None = "90975b4dd5b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        BEGIN
            ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported THEN
            ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTERNAL;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("ALTER TABLE outbox ALTER COLUMN payload SET STORAGE EXTENDED")
    op.execute("ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION default")
