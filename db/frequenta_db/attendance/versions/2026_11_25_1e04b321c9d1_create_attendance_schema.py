"""Create the attendance schema: planos, alunos, checkins and the outbox.

Revision ID: 1e04b321c9d1
Revises:
Create Date: 2026-11-25 07:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "1e04b321c9d1"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the codes at this revision (docs/rules.md); a migration never imports them.
CANCELLATION_REASONS = (
    "preco",
    "mudanca",
    "falta_de_tempo",
    "saude",
    "insatisfacao",
    "concorrencia",
    "desmotivacao",
    "outro",
)
CHECK_IN_SOURCES = ("recepcao", "catraca", "importacao", "app")


# Constraint names are written in full and marked final with op.f(), so the naming convention of
# the models' metadata (which Alembic applies here) does not prefix them a second time.


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "planos",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("codigo", sa.String(40), nullable=False),
        sa.Column("nome", sa.String(100), nullable=False),
        sa.Column("duracao_meses", sa.SmallInteger(), nullable=False),
        sa.Column("preco", sa.Numeric(10, 2), nullable=False),
        sa.Column("ativo", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "criado_em", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_planos"),
        sa.UniqueConstraint("codigo", name="uq_planos_codigo"),
        sa.CheckConstraint(
            "duracao_meses BETWEEN 1 AND 36", name=op.f("ck_planos_duracao_meses_intervalo")
        ),
        sa.CheckConstraint("preco >= 0", name=op.f("ck_planos_preco_nao_negativo")),
        sa.CheckConstraint("codigo ~ '^[a-z0-9_-]{2,40}$'", name=op.f("ck_planos_codigo_formato")),
    )

    op.create_table(
        "alunos",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("nome", sa.String(200), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("telefone", sa.String(30), nullable=True),
        sa.Column("data_nascimento", sa.Date(), nullable=True),
        sa.Column("plano_id", sa.BigInteger(), nullable=False),
        sa.Column("data_matricula", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ativo", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("data_cancelamento", sa.DateTime(timezone=True), nullable=True),
        sa.Column("motivo_cancelamento", sa.Text(), nullable=True),
        sa.Column("observacao_cancelamento", sa.Text(), nullable=True),
        sa.Column(
            "criado_em", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alunos"),
        sa.ForeignKeyConstraint(["plano_id"], ["planos.id"], name="fk_alunos_plano_id_planos"),
        sa.CheckConstraint("length(btrim(nome)) >= 2", name=op.f("ck_alunos_nome_preenchido")),
        sa.CheckConstraint("position('@' in email) > 1", name=op.f("ck_alunos_email_formato")),
        sa.CheckConstraint(
            _one_of("motivo_cancelamento", CANCELLATION_REASONS),
            name=op.f("ck_alunos_motivo_cancelamento_valido"),
        ),
        # Cancelled <=> not active; a cancellation always has its date and reason.
        sa.CheckConstraint(
            "(ativo AND data_cancelamento IS NULL AND motivo_cancelamento IS NULL"
            " AND observacao_cancelamento IS NULL)"
            " OR (NOT ativo AND data_cancelamento IS NOT NULL AND motivo_cancelamento IS NOT NULL)",
            name=op.f("ck_alunos_cancelamento_consistente"),
        ),
        sa.CheckConstraint(
            "data_cancelamento >= data_matricula",
            name=op.f("ck_alunos_cancelamento_apos_matricula"),
        ),
        sa.CheckConstraint(
            "char_length(observacao_cancelamento) <= 1000",
            name=op.f("ck_alunos_observacao_cancelamento_tamanho"),
        ),
    )
    # E-mails are unique whatever their case; stored as given.
    op.create_index("ux_alunos_email_lower", "alunos", [sa.text("lower(email)")], unique=True)
    op.create_index("ix_alunos_plano_id", "alunos", ["plano_id"])
    op.create_index("ix_alunos_data_matricula", "alunos", [sa.text("data_matricula DESC")])

    # checkins grows without bound. When it gets large, partition it by range of data_entrada
    # (e.g. one partition per quarter): the per-member index below already leads with the
    # columns such a scheme needs, but a partitioned table's unique indexes must contain the
    # partition key, so the global uniqueness of chave_idempotencia will then move to its own
    # small table (chave_idempotencia -> checkin id) written in the same transaction.
    op.create_table(
        "checkins",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("aluno_id", sa.BigInteger(), nullable=False),
        sa.Column("data_entrada", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_saida", sa.DateTime(timezone=True), nullable=True),
        sa.Column("origem", sa.Text(), nullable=False),
        sa.Column("dispositivo_id", sa.String(100), nullable=True),
        sa.Column("chave_idempotencia", sa.String(200), nullable=True),
        sa.Column(
            "criado_em", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkins"),
        sa.ForeignKeyConstraint(["aluno_id"], ["alunos.id"], name="fk_checkins_aluno_id_alunos"),
        sa.UniqueConstraint("chave_idempotencia", name="uq_checkins_chave_idempotencia"),
        sa.CheckConstraint(
            "data_saida > data_entrada", name=op.f("ck_checkins_saida_apos_entrada")
        ),
        sa.CheckConstraint(
            _one_of("origem", CHECK_IN_SOURCES), name=op.f("ck_checkins_origem_valida")
        ),
    )
    # One index serves both needs: a member's visits by time range (newest first), and no two
    # visits of one member entering at the same instant (a retried or duplicated row). It is not
    # partial: the visit rules forbid such a pair whether or not the rows carry a client key.
    op.create_index(
        "ux_checkins_aluno_id_data_entrada",
        "checkins",
        ["aluno_id", sa.text("data_entrada DESC")],
        unique=True,
    )
    # Exports and daily reports read visits of every member in entry order.
    op.create_index("ix_checkins_data_entrada_id", "checkins", ["data_entrada", "id"])

    # Transactional outbox: events written with the change that caused them, published later.
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("event_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("aggregate_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    # The relay reads the unpublished rows in id order; published ones leave the index.
    op.create_index(
        "ix_outbox_nao_publicados",
        "outbox",
        ["id"],
        postgresql_where=sa.text("published_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("checkins")
    op.drop_table("alunos")
    op.drop_table("planos")
