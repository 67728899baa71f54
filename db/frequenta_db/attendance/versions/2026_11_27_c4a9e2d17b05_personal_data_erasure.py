"""Erasure of a member's personal data on request (LGPD, docs/personal-data.md).

`alunos.dados_removidos_em`: when the member's personal data was erased (NULL: never);
`alunos.motivo_remocao_dados`: the optional basis of the request. The member row, plan, dates
and visits stay; the name and e-mail become placeholders, and a CHECK keeps the phone, birth
date and cancellation note empty once erased.

Revision ID: c4a9e2d17b05
Revises: 7d2f4b9e1a60
Create Date: 2026-11-27 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4a9e2d17b05"
down_revision: str | None = "7d2f4b9e1a60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("alunos", sa.Column("dados_removidos_em", sa.DateTime(timezone=True)))
    op.add_column("alunos", sa.Column("motivo_remocao_dados", sa.Text()))
    op.create_check_constraint(
        "ck_alunos_dados_removidos_vazios",
        "alunos",
        "dados_removidos_em IS NULL OR (telefone IS NULL AND data_nascimento IS NULL"
        " AND observacao_cancelamento IS NULL)",
    )
    op.create_check_constraint(
        "ck_alunos_motivo_remocao_dados",
        "alunos",
        "motivo_remocao_dados IS NULL OR (dados_removidos_em IS NOT NULL"
        " AND char_length(motivo_remocao_dados) <= 500)",
    )


def downgrade() -> None:
    op.drop_constraint("ck_alunos_motivo_remocao_dados", "alunos", type_="check")
    op.drop_constraint("ck_alunos_dados_removidos_vazios", "alunos", type_="check")
    op.drop_column("alunos", "motivo_remocao_dados")
    op.drop_column("alunos", "dados_removidos_em")
