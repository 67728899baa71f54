"""Served risk: `risco`, the latest prediction served for each member (probability, band,
factors, recommendations, the model version, when), written by GetChurnRisk and by the pages of
ListAtRiskMembers; `risco_historico`, one score per active member and local day, written from
the first risk snapshot of each day (the future risk-over-time chart). Plus a partial index on
the projection's cancelled members by `atualizado_em`, so the at-risk list leaves out members
cancelled after its snapshot with an index range scan.

Revision ID: c4e2a9d7b315
Revises: 8d3e6a41c2f0
Create Date: 2026-11-26 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "c4e2a9d7b315"
down_revision: str | None = "8d3e6a41c2f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BANDS = "faixa IN ('low', 'medium', 'high')"


def upgrade() -> None:
    op.create_table(
        "risco",
        sa.Column("aluno_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("probabilidade", sa.Float(), nullable=False),
        sa.Column("faixa", sa.String(10), nullable=False),
        sa.Column("fatores", postgresql.JSONB(), nullable=False),
        sa.Column("recomendacoes", postgresql.JSONB(), nullable=False),
        sa.Column("versao_modelo", sa.String(100), nullable=False),
        sa.Column("horizonte_dias", sa.Integer(), nullable=False),
        sa.Column("historico_limitado", sa.Boolean(), nullable=False),
        sa.Column("plano_codigo", sa.String(40), nullable=False),
        sa.Column("calculado_em", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "atualizado_em",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("aluno_id", name="pk_risco"),
        sa.CheckConstraint(BANDS, name="ck_risco_faixa"),
        sa.CheckConstraint("probabilidade BETWEEN 0 AND 1", name="ck_risco_probabilidade"),
    )
    op.create_table(
        "risco_historico",
        sa.Column("aluno_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("dia", sa.Date(), nullable=False),
        sa.Column("probabilidade", sa.Float(), nullable=False),
        sa.Column("faixa", sa.String(10), nullable=False),
        sa.Column("versao_modelo", sa.String(100), nullable=False),
        sa.Column("calculado_em", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("aluno_id", "dia", name="pk_risco_historico"),
        sa.CheckConstraint(BANDS, name="ck_risco_historico_faixa"),
        sa.CheckConstraint(
            "probabilidade BETWEEN 0 AND 1", name="ck_risco_historico_probabilidade"
        ),
    )
    op.create_index(
        "ix_alunos_cancelados_atualizado_em",
        "alunos",
        ["atualizado_em"],
        postgresql_where=sa.text("data_cancelamento IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_alunos_cancelados_atualizado_em", table_name="alunos")
    op.drop_table("risco_historico")
    op.drop_table("risco")
