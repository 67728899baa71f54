"""Bulk imports of check-ins: jobs, their processed chunks and their first rejected rows.

- ``import_jobs``: one row per submitted batch; counters grow as chunks are processed.
- ``import_job_chunks``: (job, chunk) of every processed chunk, written in the chunk's own
  transaction, so a redelivered chunk is recognised and changes nothing.
- ``import_job_rejections``: the first rejected rows of a job (at most 100 kept), by row number.

Revision ID: 3f7a2c9d8e41
Revises: 94c84fd2921b
Create Date: 2026-11-25 08:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3f7a2c9d8e41"
down_revision: str | None = "94c84fd2921b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the codes at this revision; a migration never imports them.
JOB_STATES = ("queued", "running", "succeeded", "failed")
CHECK_IN_SOURCES = ("recepcao", "catraca", "importacao", "app")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=False),
        sa.Column("chunk_rows", sa.Integer(), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        _counter("chunks_done"),
        _counter("processed_rows"),
        _counter("accepted"),
        _counter("duplicates"),
        _counter("rejected"),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_jobs"),
        sa.CheckConstraint(_one_of("state", JOB_STATES), name=op.f("ck_import_jobs_state_valid")),
        sa.CheckConstraint(
            _one_of("source", CHECK_IN_SOURCES), name=op.f("ck_import_jobs_source_valid")
        ),
        sa.CheckConstraint(
            "total_rows >= 1 AND chunk_rows >= 1 AND chunks >= 1",
            name=op.f("ck_import_jobs_sizes"),
        ),
        sa.CheckConstraint(
            "chunks_done <= chunks", name=op.f("ck_import_jobs_chunks_done_bounded")
        ),
        sa.CheckConstraint(
            "processed_rows = accepted + duplicates + rejected AND processed_rows <= total_rows",
            name=op.f("ck_import_jobs_counts_add_up"),
        ),
    )

    op.create_table(
        "import_job_chunks",
        sa.Column("job_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "chunk", name="pk_import_job_chunks"),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name="fk_import_job_chunks_job_id_import_jobs",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "import_job_rejections",
        sa.Column("job_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(100), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "row_number", name="pk_import_job_rejections"),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name="fk_import_job_rejections_job_id_import_jobs",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("import_job_rejections")
    op.drop_table("import_job_chunks")
    op.drop_table("import_jobs")
