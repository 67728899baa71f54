"""Retention (docs/alerts-and-outcomes.md): the cancellation reason "nao_informado" (a client
that gave none) and the alert thresholds `limites_alertas`, one row (id 1) holding the values in
force and who changed them when; loaded with the defaults.

Revision ID: b7e3d91c4f20
Revises: a3c8e5f1b2d4
Create Date: 2026-11-28 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "b7e3d91c4f20"
down_revision: str | None = "a3c8e5f1b2d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the reason codes before and after this revision.
OLD_REASONS = (
    "preco",
    "mudanca",
    "falta_de_tempo",
    "saude",
    "insatisfacao",
    "concorrencia",
    "desmotivacao",
    "outro",
)
NEW_REASONS = (*OLD_REASONS, "nao_informado")
REASON_CHECK = "ck_alunos_motivo_cancelamento_valido"


def _reasons(values: tuple[str, ...]) -> str:
    return f"motivo_cancelamento IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    op.drop_constraint(op.f(REASON_CHECK), "alunos", type_="check")
    op.create_check_constraint(op.f(REASON_CHECK), "alunos", _reasons(NEW_REASONS))
    op.create_table(
        "limites_alertas",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("dias_sem_visita_inicial", sa.Integer(), nullable=False),
        sa.Column("visitas_minimas_mes", sa.Integer(), nullable=False),
        sa.Column("dias_periodo_inicial", sa.Integer(), nullable=False),
        sa.Column("estagios_inatividade_dias", ARRAY(sa.Integer()), nullable=False),
        sa.Column("alterado_por", sa.String(100), nullable=True),
        sa.Column("alterado_em", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_limites_alertas"),
        sa.CheckConstraint("id = 1", name=op.f("ck_limites_alertas_uma_linha")),
        sa.CheckConstraint(
            "dias_sem_visita_inicial BETWEEN 1 AND 365",
            name=op.f("ck_limites_alertas_dias_sem_visita_inicial_intervalo"),
        ),
        sa.CheckConstraint(
            "visitas_minimas_mes BETWEEN 1 AND 31",
            name=op.f("ck_limites_alertas_visitas_minimas_mes_intervalo"),
        ),
        sa.CheckConstraint(
            "dias_periodo_inicial BETWEEN 30 AND 365",
            name=op.f("ck_limites_alertas_dias_periodo_inicial_intervalo"),
        ),
        sa.CheckConstraint(
            "cardinality(estagios_inatividade_dias) BETWEEN 1 AND 10"
            " AND 1 <= ALL(estagios_inatividade_dias) AND 365 >= ALL(estagios_inatividade_dias)",
            name=op.f("ck_limites_alertas_estagios_intervalo"),
        ),
    )
    op.execute(
        "INSERT INTO limites_alertas (id, dias_sem_visita_inicial, visitas_minimas_mes,"
        " dias_periodo_inicial, estagios_inatividade_dias) VALUES (1, 14, 4, 90, '{7,14,30}')"
    )


def downgrade() -> None:
    op.drop_table("limites_alertas")
    op.execute(
        "UPDATE alunos SET motivo_cancelamento = 'outro'"
        " WHERE motivo_cancelamento = 'nao_informado'"
    )
    op.drop_constraint(op.f(REASON_CHECK), "alunos", type_="check")
    op.create_check_constraint(op.f(REASON_CHECK), "alunos", _reasons(OLD_REASONS))
