"""Users of the REST API: `usuarios` (login unique whatever its case, an argon2id hash of the
password, a role, and for a member's user the member).

Revision ID: a3c8e5f1b2d4
Revises: c4a9e2d17b05
Create Date: 2026-11-27 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a3c8e5f1b2d4"
down_revision: str | None = "c4a9e2d17b05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the roles at this revision; a migration never imports them.
ROLES = ("admin", "equipe", "aluno", "catraca")


def upgrade() -> None:
    op.create_table(
        "usuarios",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("login", sa.String(100), nullable=False),
        sa.Column("senha_hash", sa.Text(), nullable=False),
        sa.Column("papel", sa.Text(), nullable=False),
        sa.Column("aluno_id", sa.BigInteger(), nullable=True),
        sa.Column("ativo", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "criado_em", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_usuarios"),
        sa.ForeignKeyConstraint(["aluno_id"], ["alunos.id"], name="fk_usuarios_aluno_id_alunos"),
        sa.CheckConstraint(
            f"papel IN ({', '.join(repr(role) for role in ROLES)})",
            name=op.f("ck_usuarios_papel_valido"),
        ),
        # A member's user names the member; no other role does.
        sa.CheckConstraint(
            "(papel = 'aluno') = (aluno_id IS NOT NULL)", name=op.f("ck_usuarios_aluno_do_papel")
        ),
        sa.CheckConstraint(
            "length(login) BETWEEN 3 AND 100", name=op.f("ck_usuarios_login_tamanho")
        ),
    )
    # Logins are unique whatever their case; stored as given.
    op.create_index("ux_usuarios_login_lower", "usuarios", [sa.text("lower(login)")], unique=True)
    op.create_index("ix_usuarios_aluno_id", "usuarios", ["aluno_id"])


def downgrade() -> None:
    op.drop_table("usuarios")
