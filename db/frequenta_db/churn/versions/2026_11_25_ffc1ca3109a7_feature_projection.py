"""Churn's feature projection (alunos, checkins) and the processed-event inbox (processed_events).

The projection mirrors, without personal data, what churn needs of attendance's members and
visits; it is kept by consuming attendance's events and can be rebuilt from its export streams
(docs/churn.md). Rows may arrive in any order, so nothing references anything: a visit, or a
cancellation, can be stored before the member's registration.

Revision ID: ffc1ca3109a7
Revises: 5b1f0c7a9e21
Create Date: 2026-11-25 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "ffc1ca3109a7"
down_revision: str | None = "5b1f0c7a9e21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per member, keyed by attendance's member id. The plan and the enrollment come
    # together (member.registered or the export) and may be missing while only a later event of
    # the member (a cancellation, a visit) has arrived.
    op.create_table(
        "alunos",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("plano_codigo", sa.String(40), nullable=True),
        sa.Column("plano_duracao_meses", sa.SmallInteger(), nullable=True),
        sa.Column("data_matricula", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data_cancelamento", sa.DateTime(timezone=True), nullable=True),
        sa.Column("motivo_cancelamento", sa.String(40), nullable=True),
        sa.Column(
            "atualizado_em",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alunos"),
        sa.CheckConstraint(
            "(plano_codigo IS NULL) = (data_matricula IS NULL)"
            " AND (plano_duracao_meses IS NULL) = (data_matricula IS NULL)",
            name="ck_alunos_registro_completo",
        ),
    )
    # One row per visit, keyed by attendance's visit id.
    op.create_table(
        "checkins",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("aluno_id", sa.BigInteger(), nullable=False),
        sa.Column("data_entrada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_saida", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "atualizado_em",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkins"),
        sa.CheckConstraint("data_saida > data_entrada", name="ck_checkins_saida_apos_entrada"),
    )
    # A member's visits in time order (online features, training reads).
    op.create_index("ix_checkins_aluno_id_data_entrada", "checkins", ["aluno_id", "data_entrada"])
    # The inbox: one row per event applied, written in the same transaction as its effect.
    op.create_table(
        "processed_events",
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", name="pk_processed_events"),
    )


def downgrade() -> None:
    op.drop_table("processed_events")
    op.drop_index("ix_checkins_aluno_id_data_entrada", table_name="checkins")
    op.drop_table("checkins")
    op.drop_table("alunos")
