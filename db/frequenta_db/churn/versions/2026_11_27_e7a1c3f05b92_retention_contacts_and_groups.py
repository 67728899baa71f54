"""Retention work (issue 6): `retencao_grupos`, the group each member is drawn into once, when
first seen at band `alto` in the at-risk list's snapshot (`controle`: left uncontacted on purpose,
`contato`: the team calls them), with the probability and model version of that moment; and
`contatos`, the contact log the retention staff fill in (channel, outcome, note, next step, who).

Revision ID: e7a1c3f05b92
Revises: c4e2a9d7b315
Create Date: 2026-11-27 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a1c3f05b92"
down_revision: str | None = "c4e2a9d7b315"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNELS = "canal IN ('telefone', 'whatsapp', 'email', 'sms', 'presencial')"
OUTCOMES = (
    "resultado IN ('sem_resposta', 'conversou', 'retorno_agendado', 'recusou',"
    " 'cancelamento_evitado')"
)


def upgrade() -> None:
    op.create_table(
        "retencao_grupos",
        sa.Column("aluno_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("grupo", sa.String(10), nullable=False),
        sa.Column("atribuido_em", sa.DateTime(timezone=True), nullable=False),
        sa.Column("probabilidade", sa.Float(), nullable=False),
        sa.Column("versao_modelo", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("aluno_id", name="pk_retencao_grupos"),
        sa.CheckConstraint("grupo IN ('controle', 'contato')", name="ck_retencao_grupos_grupo"),
        sa.CheckConstraint(
            "probabilidade BETWEEN 0 AND 1", name="ck_retencao_grupos_probabilidade"
        ),
    )
    op.create_table(
        "contatos",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("aluno_id", sa.BigInteger(), nullable=False),
        sa.Column("canal", sa.String(20), nullable=False),
        sa.Column("resultado", sa.String(30), nullable=False),
        sa.Column("nota", sa.Text(), nullable=True),
        sa.Column("proximo_passo", sa.Text(), nullable=True),
        sa.Column("proximo_passo_em", sa.Date(), nullable=True),
        sa.Column("autor", sa.String(100), nullable=False),
        sa.Column("fora_do_protocolo", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("registrado_em", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contatos"),
        sa.CheckConstraint(CHANNELS, name="ck_contatos_canal"),
        sa.CheckConstraint(OUTCOMES, name="ck_contatos_resultado"),
    )
    # A member's contacts, newest first; the latest per member for the at-risk list.
    op.create_index("ix_contatos_aluno_id_registrado_em", "contatos", ["aluno_id", "registrado_em"])


def downgrade() -> None:
    op.drop_index("ix_contatos_aluno_id_registrado_em", table_name="contatos")
    op.drop_table("contatos")
    op.drop_table("retencao_grupos")
