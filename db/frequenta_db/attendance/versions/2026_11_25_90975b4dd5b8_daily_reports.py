"""Daily attendance reports: the stored reports, their build jobs, and an index for a day's
cancellations.

- ``report_jobs``: one row per queued build (on demand, or by the scheduler). The partial unique
  index on the scheduler's rows is how two scheduler replicas never queue a date twice, and the
  scheduler's record of what it already queued.
- ``relatorios_diarios``: one report per local date, replaced when the date is built again.

Revision ID: 90975b4dd5b8
Revises: 3f7a2c9d8e41
Create Date: 2026-11-25 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "90975b4dd5b8"
down_revision: str | None = "3f7a2c9d8e41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of frequenta_attendance.domain.report_jobs.ReportOrigin at this revision.
REPORT_ORIGINS = ("schedule", "on_demand")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _count(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "report_jobs",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_report_jobs"),
        sa.CheckConstraint(
            _one_of("origin", REPORT_ORIGINS), name=op.f("ck_report_jobs_origin_valid")
        ),
    )
    op.create_index(
        "ux_report_jobs_report_date_schedule",
        "report_jobs",
        ["report_date"],
        unique=True,
        postgresql_where=sa.text("origin = 'schedule'"),
    )

    op.create_table(
        "relatorios_diarios",
        sa.Column("data", sa.Date(), nullable=False),
        _count("visitas"),
        _count("alunos_unicos"),
        sa.Column("visitas_por_hora", postgresql.ARRAY(sa.Integer()), nullable=False),
        sa.Column("visitas_por_plano", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("media_duracao_minutos", sa.Double(), nullable=True),
        _count("novos_alunos"),
        _count("cancelamentos"),
        _count("alunos_risco_alto"),
        sa.Column("gerado_em", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("data", name="pk_relatorios_diarios"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["report_jobs.id"], name="fk_relatorios_diarios_job_id_report_jobs"
        ),
        sa.CheckConstraint(
            "visitas >= 0 AND alunos_unicos >= 0 AND alunos_unicos <= visitas",
            name=op.f("ck_relatorios_diarios_visitas_validas"),
        ),
        sa.CheckConstraint(
            "novos_alunos >= 0 AND cancelamentos >= 0 AND alunos_risco_alto >= 0",
            name=op.f("ck_relatorios_diarios_contagens_nao_negativas"),
        ),
        sa.CheckConstraint(
            "cardinality(visitas_por_hora) = 24 AND array_position(visitas_por_hora, NULL) IS NULL"
            " AND 0 <= ALL (visitas_por_hora)",
            name=op.f("ck_relatorios_diarios_visitas_por_hora_24"),
        ),
        sa.CheckConstraint(
            "jsonb_typeof(visitas_por_plano) = 'object'",
            name=op.f("ck_relatorios_diarios_visitas_por_plano_objeto"),
        ),
        sa.CheckConstraint(
            "media_duracao_minutos >= 0",
            name=op.f("ck_relatorios_diarios_media_duracao_nao_negativa"),
        ),
    )

    # A day's cancellations, for its report; active members (most rows) stay out of the index.
    op.create_index(
        "ix_alunos_data_cancelamento",
        "alunos",
        ["data_cancelamento"],
        postgresql_where=sa.text("data_cancelamento IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_alunos_data_cancelamento", table_name="alunos")
    op.drop_table("relatorios_diarios")
    op.drop_index("ux_report_jobs_report_date_schedule", table_name="report_jobs")
    op.drop_table("report_jobs")
