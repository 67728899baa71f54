"""Daily reports: `alunos_risco_alto` may be NULL, the count of members at high churn risk being
unknown when the report was built (churn unreachable, or no model trained yet). Reports built
before keep their 0.

Revision ID: 7d2f4b9e1a60
Revises: 5b1e7c0a9d32
Create Date: 2026-11-26 12:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "7d2f4b9e1a60"
down_revision: str | None = "5b1e7c0a9d32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("relatorios_diarios", "alunos_risco_alto", nullable=True)


def downgrade() -> None:
    op.execute(
        "UPDATE relatorios_diarios SET alunos_risco_alto = 0 WHERE alunos_risco_alto IS NULL"
    )
    op.alter_column("relatorios_diarios", "alunos_risco_alto", nullable=False)
