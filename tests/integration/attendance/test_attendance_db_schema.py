"""The attendance database: created from nothing by init, init is repeatable, the ORM models
match the migrations, and the constraints live in the database itself."""

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from integration_support import schema_differences
from sqlalchemy import Column, Integer, MetaData, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frequenta_attendance.models import Base
from frequenta_db.attendance import head_revision, init_attendance_database
from frequenta_kit.database import create_engine

TABLES = {
    "alembic_version",
    "planos",
    "alunos",
    "checkins",
    "outbox",
    "import_jobs",
    "import_job_chunks",
    "import_job_rejections",
    "report_jobs",
    "relatorios_diarios",
    "usuarios",
    "limites_alertas",
}
DEFAULT_PRICES = {
    "mensal": Decimal("119.90"),
    "trimestral": Decimal("329.90"),
    "semestral": Decimal("599.90"),
    "anual": Decimal("1099.90"),
}


async def test_init_creates_everything_from_nothing_and_running_it_again_changes_nothing(
    scratch_database_url,
):
    await init_attendance_database(scratch_database_url)
    engine = create_engine(scratch_database_url)
    try:
        async with engine.connect() as connection:
            tables = set(
                await connection.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
            assert tables == TABLES
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            assert revision == head_revision()
            assert await plan_prices(connection) == DEFAULT_PRICES

        async with engine.begin() as connection:  # the gym changes a price and retires a plan
            await connection.execute(
                text("UPDATE planos SET preco = 129.90 WHERE codigo = 'mensal'")
            )
            await connection.execute(
                text("UPDATE planos SET ativo = false WHERE codigo = 'semestral'")
            )
        await init_attendance_database(scratch_database_url)

        async with engine.connect() as connection:
            assert await plan_prices(connection) == {**DEFAULT_PRICES, "mensal": Decimal("129.90")}
            retired = await connection.scalar(
                text("SELECT ativo FROM planos WHERE codigo = 'semestral'")
            )
            assert retired is False
    finally:
        await engine.dispose()


async def plan_prices(connection: AsyncConnection) -> dict[str, Decimal]:
    rows = await connection.execute(text("SELECT codigo, preco FROM planos"))
    prices = {code: price for code, price in rows}
    assert len(prices) == 4, "no plan is duplicated"
    return prices


async def test_orm_models_match_the_migrations(attendance_database_url):
    assert await schema_differences(attendance_database_url, Base.metadata) == []


async def test_the_model_comparison_would_notice_a_difference(attendance_database_url):
    changed = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["alunos"].append_column(Column("apelido", Integer))
    differences = await schema_differences(attendance_database_url, changed)
    assert [d[0] for d in differences] == ["add_column"]


# -- constraints in the database ----------------------------------------------------------------


@pytest.fixture
async def member_row(attendance_engine: AsyncEngine) -> AsyncIterator[dict[str, int | str]]:
    """A member inserted directly, as raw SQL sees it."""
    async with attendance_engine.begin() as connection:
        email = f"raw-{id(connection)}-{asyncio.get_running_loop().time()}@example.com"
        member_id = await connection.scalar(
            text(
                "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
                " SELECT 'Raw Member', :email, id, now() - interval '30 days'"
                " FROM planos WHERE codigo = 'mensal' RETURNING id"
            ),
            {"email": email},
        )
    yield {"id": member_id, "email": email}


# A report row for 1999-01-01 naming a job that does not exist: CHECK constraints are checked
# before the foreign key, so each statement below trips exactly the constraint it names.
_REPORT = (
    "INSERT INTO relatorios_diarios (data, visitas, alunos_unicos, visitas_por_hora,"
    " visitas_por_plano, novos_alunos, cancelamentos, alunos_risco_alto, gerado_em, job_id)"
    " VALUES ('1999-01-01', {visits}, {unique}, {hours}, '{{}}', 0, 0, 0, now(), {job})"
)
_HOURS = "array_fill(0, ARRAY[23]) || 1"

VIOLATIONS = {
    "ux_alunos_email_lower": "INSERT INTO alunos (nome, email, plano_id, data_matricula)"
    " SELECT 'Twin', upper(:email), plano_id, now() FROM alunos WHERE id = :member",
    "ck_alunos_nome_preenchido": "UPDATE alunos SET nome = '  ' WHERE id = :member",
    "ck_alunos_motivo_cancelamento_valido": "UPDATE alunos SET ativo = false,"
    " data_cancelamento = now(), motivo_cancelamento = 'tedio' WHERE id = :member",
    "ck_alunos_cancelamento_consistente": "UPDATE alunos SET ativo = false WHERE id = :member",
    "ck_alunos_cancelamento_apos_matricula": "UPDATE alunos SET ativo = false,"
    " data_cancelamento = data_matricula - interval '1 day', motivo_cancelamento = 'preco'"
    " WHERE id = :member",
    "fk_alunos_plano_id_planos": "UPDATE alunos SET plano_id = -1 WHERE id = :member",
    "ck_checkins_saida_apos_entrada": "INSERT INTO checkins (aluno_id, data_entrada,"
    " data_saida, origem) VALUES (:member, now(), now(), 'app')",
    "ck_checkins_origem_valida": "INSERT INTO checkins (aluno_id, data_entrada, origem)"
    " VALUES (:member, now(), 'janela')",
    "fk_checkins_aluno_id_alunos": "INSERT INTO checkins (aluno_id, data_entrada, origem)"
    " VALUES (-1, now(), 'app')",
    "ux_checkins_aluno_id_data_entrada": "INSERT INTO checkins (aluno_id, data_entrada, origem)"
    " VALUES (:member, '2020-01-01T10:00Z', 'app'), (:member, '2020-01-01T10:00Z', 'catraca')",
    "uq_checkins_chave_idempotencia": "INSERT INTO checkins (aluno_id, data_entrada, origem,"
    " chave_idempotencia) VALUES (:member, '2020-01-01T10:00Z', 'app', 'k'),"
    " (:member, '2020-01-02T10:00Z', 'app', 'k')",
    "ck_planos_duracao_meses_intervalo": "INSERT INTO planos (codigo, nome, duracao_meses,"
    " preco) VALUES ('longo', 'Longo', 37, 1)",
    "ck_planos_preco_nao_negativo": "INSERT INTO planos (codigo, nome, duracao_meses, preco)"
    " VALUES ('negativo', 'Negativo', 1, -0.01)",
    "ck_planos_codigo_formato": "INSERT INTO planos (codigo, nome, duracao_meses, preco)"
    " VALUES ('Plano Caro', 'Caro', 1, 1)",
    "uq_planos_codigo": "INSERT INTO planos (codigo, nome, duracao_meses, preco)"
    " VALUES ('mensal', 'Outro Mensal', 1, 1)",
    "ck_import_jobs_state_valid": "INSERT INTO import_jobs (id, state, source, total_rows,"
    " chunk_rows, chunks, submitted_at)"
    " VALUES (gen_random_uuid(), 'paused', 'importacao', 1, 1, 1, now())",
    "ck_import_jobs_counts_add_up": "INSERT INTO import_jobs (id, state, source, total_rows,"
    " chunk_rows, chunks, submitted_at, processed_rows, accepted)"
    " VALUES (gen_random_uuid(), 'running', 'importacao', 2, 1, 2, now(), 2, 1)",
    "pk_import_job_chunks": "WITH job AS (INSERT INTO import_jobs (id, state, source,"
    " total_rows, chunk_rows, chunks, submitted_at)"
    " VALUES (gen_random_uuid(), 'running', 'importacao', 2, 1, 2, now()) RETURNING id)"
    " INSERT INTO import_job_chunks SELECT id, 0, now() FROM job"
    " UNION ALL SELECT id, 0, now() FROM job",
    "ck_report_jobs_origin_valid": "INSERT INTO report_jobs (id, report_date, origin,"
    " requested_at) VALUES (gen_random_uuid(), '2026-01-01', 'cron', now())",
    "ux_report_jobs_report_date_schedule": "INSERT INTO report_jobs (id, report_date, origin,"
    " requested_at) VALUES (gen_random_uuid(), '1999-01-01', 'schedule', now()),"
    " (gen_random_uuid(), '1999-01-01', 'schedule', now())",
    "fk_relatorios_diarios_job_id_report_jobs": _REPORT.format(
        job="gen_random_uuid()", visits=1, unique=1, hours=_HOURS
    ),
    "ck_relatorios_diarios_visitas_validas": _REPORT.format(
        job="gen_random_uuid()", visits=1, unique=2, hours=_HOURS
    ),
    "ck_relatorios_diarios_visitas_por_hora_24": _REPORT.format(
        job="gen_random_uuid()", visits=1, unique=1, hours="ARRAY[1, 0]"
    ),
}


@pytest.mark.parametrize("constraint", sorted(VIOLATIONS))
async def test_the_database_refuses_what_the_rules_forbid(
    attendance_engine, member_row, constraint
):
    async with attendance_engine.connect() as connection:
        with pytest.raises(IntegrityError) as caught:
            await connection.execute(
                text(VIOLATIONS[constraint]),
                {"member": member_row["id"], "email": member_row["email"]},
            )
        await connection.rollback()
    assert caught.value.orig.__cause__.constraint_name == constraint
