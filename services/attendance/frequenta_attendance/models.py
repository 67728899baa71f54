"""ORM mapping of the attendance database. Attribute names are English; table and column names
are Portuguese (the public contract of the brief). The schema itself is created by the
migrations in ``frequenta_db.attendance``; a test checks the two agree."""

import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from frequenta_attendance.domain.batch import JobState
from frequenta_attendance.domain.enums import CancellationReason, CheckInSource, UserRole
from frequenta_attendance.domain.report_jobs import ReportOrigin
from frequenta_attendance.domain.visits import duration_minutes

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Names the repository recognises when PostgreSQL reports a unique violation.
PLAN_CODE_UNIQUE = "uq_planos_codigo"
MEMBER_EMAIL_UNIQUE = "ux_alunos_email_lower"
VISIT_KEY_UNIQUE = "uq_checkins_chave_idempotencia"
VISIT_ENTRY_UNIQUE = "ux_checkins_aluno_id_data_entrada"
USER_LOGIN_UNIQUE = "ux_usuarios_login_lower"


class CodeEnum(TypeDecorator[Any]):
    """A StrEnum stored as its value in a text column, guarded by a CHECK on the values."""

    impl = Text
    cache_ok = True

    def __init__(self, enum_type: type[StrEnum]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else self.enum_type(value).value

    def process_result_value(self, value: Any, dialect: Any) -> StrEnum | None:
        return None if value is None else self.enum_type(value)


def _one_of(column: str, enum_type: type[StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum_type)
    return f"{column} IN ({values})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}
    # Read server-generated values (ids, defaults) back with the INSERT: no lazy loads later.
    __mapper_args__ = {"eager_defaults": True}


class Plan(Base):
    __tablename__ = "planos"
    __table_args__ = (
        CheckConstraint("duracao_meses BETWEEN 1 AND 36", name="duracao_meses_intervalo"),
        CheckConstraint("preco >= 0", name="preco_nao_negativo"),
        CheckConstraint("codigo ~ '^[a-z0-9_-]{2,40}$'", name="codigo_formato"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column("codigo", String(40), unique=True)
    name: Mapped[str] = mapped_column("nome", String(100))
    duration_months: Mapped[int] = mapped_column("duracao_meses", SmallInteger)
    price: Mapped[Decimal] = mapped_column("preco", Numeric(10, 2))
    active: Mapped[bool] = mapped_column("ativo", server_default=true())
    created_at: Mapped[datetime] = mapped_column("criado_em", server_default=func.now())

    @property
    def price_cents(self) -> int:
        return int(self.price * 100)


class Member(Base):
    __tablename__ = "alunos"
    __table_args__ = (
        CheckConstraint("length(btrim(nome)) >= 2", name="nome_preenchido"),
        CheckConstraint("position('@' in email) > 1", name="email_formato"),
        CheckConstraint(
            _one_of("motivo_cancelamento", CancellationReason), name="motivo_cancelamento_valido"
        ),
        # Cancelled <=> not active; a cancellation always has its date and reason.
        CheckConstraint(
            "(ativo AND data_cancelamento IS NULL AND motivo_cancelamento IS NULL"
            " AND observacao_cancelamento IS NULL)"
            " OR (NOT ativo AND data_cancelamento IS NOT NULL AND motivo_cancelamento IS NOT NULL)",
            name="cancelamento_consistente",
        ),
        CheckConstraint("data_cancelamento >= data_matricula", name="cancelamento_apos_matricula"),
        CheckConstraint(
            "char_length(observacao_cancelamento) <= 1000", name="observacao_cancelamento_tamanho"
        ),
        # Erased personal data (docs/personal-data.md) stays erased.
        CheckConstraint(
            "dados_removidos_em IS NULL OR (telefone IS NULL AND data_nascimento IS NULL"
            " AND observacao_cancelamento IS NULL)",
            name="dados_removidos_vazios",
        ),
        CheckConstraint(
            "motivo_remocao_dados IS NULL OR (dados_removidos_em IS NOT NULL"
            " AND char_length(motivo_remocao_dados) <= 500)",
            name="motivo_remocao_dados",
        ),
        Index(MEMBER_EMAIL_UNIQUE, func.lower(text("email")), unique=True),
        Index("ix_alunos_data_matricula", text("data_matricula DESC")),
        # Cancellations of a day (daily reports); active members have none.
        Index(
            "ix_alunos_data_cancelamento",
            "data_cancelamento",
            postgresql_where=text("data_cancelamento IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column("nome", String(200))
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column("telefone", String(30))
    birth_date: Mapped[date | None] = mapped_column("data_nascimento", Date)
    plan_id: Mapped[int] = mapped_column("plano_id", ForeignKey("planos.id"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column("data_matricula")
    active: Mapped[bool] = mapped_column("ativo", server_default=true())
    cancelled_at: Mapped[datetime | None] = mapped_column("data_cancelamento")
    cancellation_reason: Mapped[CancellationReason | None] = mapped_column(
        "motivo_cancelamento", CodeEnum(CancellationReason)
    )
    cancellation_note: Mapped[str | None] = mapped_column("observacao_cancelamento", Text)
    created_at: Mapped[datetime] = mapped_column("criado_em", server_default=func.now())
    # Set once the member's personal data was erased on request (LGPD).
    personal_data_erased_at: Mapped[datetime | None] = mapped_column("dados_removidos_em")
    # The optional basis of that request.
    erasure_reason: Mapped[str | None] = mapped_column("motivo_remocao_dados", Text)

    plan: Mapped[Plan] = relationship(lazy="joined", innerjoin=True)


class Visit(Base):
    __tablename__ = "checkins"
    __table_args__ = (
        CheckConstraint("data_saida > data_entrada", name="saida_apos_entrada"),
        CheckConstraint(_one_of("origem", CheckInSource), name="origem_valida"),
        Index(VISIT_ENTRY_UNIQUE, "aluno_id", text("data_entrada DESC"), unique=True),
        Index("ix_checkins_data_entrada_id", "data_entrada", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column("aluno_id", ForeignKey("alunos.id"))
    entered_at: Mapped[datetime] = mapped_column("data_entrada")
    exited_at: Mapped[datetime | None] = mapped_column("data_saida")
    source: Mapped[CheckInSource] = mapped_column("origem", CodeEnum(CheckInSource))
    device_id: Mapped[str | None] = mapped_column("dispositivo_id", String(100))
    idempotency_key: Mapped[str | None] = mapped_column(
        "chave_idempotencia", String(200), unique=True
    )
    created_at: Mapped[datetime] = mapped_column("criado_em", server_default=func.now())

    @property
    def duration_minutes(self) -> int | None:
        return duration_minutes(self.entered_at, self.exited_at)


class OutboxMessage(Base):
    """A message waiting to be published (transactional outbox): a domain event, written in the
    transaction of the change it reports, or a work message for a queue. The relay publishes it
    to ``exchange`` ('events' or 'work') with ``routing_key`` and sets ``published_at``."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("exchange IN ('events', 'work')", name="exchange_known"),
        CheckConstraint(
            "exchange <> 'events' OR aggregate_id IS NOT NULL", name="event_has_member"
        ),
        Index("ix_outbox_nao_publicados", "id", postgresql_where=text("published_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The AMQP message id: the event id of an event, the job's message id of a work message.
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    # The AMQP type: the event type, or what kind of work.
    message_type: Mapped[str] = mapped_column(String(100))
    exchange: Mapped[str] = mapped_column(Text)
    # The event type, or the work queue's name without the broker namespace.
    routing_key: Mapped[str] = mapped_column(String(255))
    # The member the message is about, which is also its ordering key; NULL: no order needed.
    aggregate_id: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100), server_default="application/x-protobuf")
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    occurred_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    published_at: Mapped[datetime | None]


class ImportJob(Base):
    """A bulk import of check-ins (docs/bulk-imports.md). Its rows travel in chunks through a
    work queue; each processed chunk adds its counts, and the last one ends the job."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(_one_of("state", JobState), name="state_valid"),
        CheckConstraint(_one_of("source", CheckInSource), name="source_valid"),
        CheckConstraint("total_rows >= 1 AND chunk_rows >= 1 AND chunks >= 1", name="sizes"),
        CheckConstraint("chunks_done <= chunks", name="chunks_done_bounded"),
        CheckConstraint(
            "processed_rows = accepted + duplicates + rejected AND processed_rows <= total_rows",
            name="counts_add_up",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    state: Mapped[JobState] = mapped_column(CodeEnum(JobState))
    # Stored on every visit the job imports.
    source: Mapped[CheckInSource] = mapped_column(CodeEnum(CheckInSource))
    total_rows: Mapped[int]
    chunk_rows: Mapped[int]
    chunks: Mapped[int]
    chunks_done: Mapped[int] = mapped_column(server_default=text("0"))
    processed_rows: Mapped[int] = mapped_column(server_default=text("0"))
    accepted: Mapped[int] = mapped_column(server_default=text("0"))
    duplicates: Mapped[int] = mapped_column(server_default=text("0"))
    rejected: Mapped[int] = mapped_column(server_default=text("0"))
    submitted_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class ImportJobChunk(Base):
    """A chunk of an import job already processed: a redelivered chunk finds its row here and
    changes nothing."""

    __tablename__ = "import_job_chunks"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    chunk: Mapped[int] = mapped_column(primary_key=True)
    processed_at: Mapped[datetime]


class ImportJobRejection(Base):
    """One of the first rejected rows of an import job (at most 100 per job are kept)."""

    __tablename__ = "import_job_rejections"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    # 1-based position of the row in the submitted batch.
    row_number: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(Text)


class ReportJob(Base):
    """A build of one date's daily report, queued on demand or by the scheduler (which queues
    each date at most once); ``finished_at`` is set in the transaction that stores the report,
    so a redelivered build message finds it done."""

    __tablename__ = "report_jobs"
    __table_args__ = (
        CheckConstraint(_one_of("origin", ReportOrigin), name="origin_valid"),
        # The scheduler's record of what it queued: one job per date, whatever the replicas.
        Index(
            "ux_report_jobs_report_date_schedule",
            "report_date",
            unique=True,
            postgresql_where=text("origin = 'schedule'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    # The local date (gym time zone) to build.
    day: Mapped[date] = mapped_column("report_date", Date)
    origin: Mapped[ReportOrigin] = mapped_column(CodeEnum(ReportOrigin))
    requested_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class DailyReportRecord(Base):
    """The stored attendance report of one local date (rebuilt in place by a later job)."""

    __tablename__ = "relatorios_diarios"
    __table_args__ = (
        CheckConstraint(
            "visitas >= 0 AND alunos_unicos >= 0 AND alunos_unicos <= visitas",
            name="visitas_validas",
        ),
        CheckConstraint(
            "novos_alunos >= 0 AND cancelamentos >= 0 AND alunos_risco_alto >= 0",
            name="contagens_nao_negativas",
        ),
        CheckConstraint(
            "cardinality(visitas_por_hora) = 24 AND array_position(visitas_por_hora, NULL) IS NULL"
            " AND 0 <= ALL (visitas_por_hora)",
            name="visitas_por_hora_24",
        ),
        CheckConstraint(
            "jsonb_typeof(visitas_por_plano) = 'object'", name="visitas_por_plano_objeto"
        ),
        CheckConstraint("media_duracao_minutos >= 0", name="media_duracao_nao_negativa"),
    )

    day: Mapped[date] = mapped_column("data", Date, primary_key=True)
    visits: Mapped[int] = mapped_column("visitas", Integer)
    unique_members: Mapped[int] = mapped_column("alunos_unicos", Integer)
    # Entries by local hour of entry: 24 counts, index 0 = 00:00-00:59.
    visits_by_hour: Mapped[list[int]] = mapped_column("visitas_por_hora", ARRAY(Integer))
    # Plan code -> entries by members of that plan (plans without entries left out).
    visits_by_plan: Mapped[dict[str, int]] = mapped_column("visitas_por_plano", JSONB)
    average_visit_minutes: Mapped[float | None] = mapped_column("media_duracao_minutos", Double)
    new_members: Mapped[int] = mapped_column("novos_alunos", Integer)
    cancellations: Mapped[int] = mapped_column("cancelamentos", Integer)
    # Active members at high churn risk when built; NULL when churn could not say.
    high_risk_members: Mapped[int | None] = mapped_column("alunos_risco_alto", Integer)
    generated_at: Mapped[datetime] = mapped_column("gerado_em")
    # The job that built this version.
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report_jobs.id"))


class User(Base):
    """A user of the REST API: a login, an argon2id hash of the password and a role. A member's
    user (role ``aluno``) names the member; no other role does."""

    __tablename__ = "usuarios"
    __table_args__ = (
        CheckConstraint(_one_of("papel", UserRole), name="papel_valido"),
        CheckConstraint("(papel = 'aluno') = (aluno_id IS NOT NULL)", name="aluno_do_papel"),
        CheckConstraint("length(login) BETWEEN 3 AND 100", name="login_tamanho"),
        Index(USER_LOGIN_UNIQUE, func.lower(text("login")), unique=True),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    login: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column("senha_hash", Text)
    role: Mapped[UserRole] = mapped_column("papel", CodeEnum(UserRole))
    member_id: Mapped[int | None] = mapped_column("aluno_id", ForeignKey("alunos.id"), index=True)
    active: Mapped[bool] = mapped_column("ativo", server_default=true())
    created_at: Mapped[datetime] = mapped_column("criado_em", server_default=func.now())


class AlertThresholdsRecord(Base):
    """The alert thresholds in force (docs/alerts-and-outcomes.md): one row, id 1."""

    __tablename__ = "limites_alertas"
    __table_args__ = (
        CheckConstraint("id = 1", name="uma_linha"),
        CheckConstraint(
            "dias_sem_visita_inicial BETWEEN 1 AND 365", name="dias_sem_visita_inicial_intervalo"
        ),
        CheckConstraint(
            "visitas_minimas_mes BETWEEN 1 AND 31", name="visitas_minimas_mes_intervalo"
        ),
        CheckConstraint(
            "dias_periodo_inicial BETWEEN 30 AND 365", name="dias_periodo_inicial_intervalo"
        ),
        CheckConstraint(
            "cardinality(estagios_inatividade_dias) BETWEEN 1 AND 10"
            " AND 1 <= ALL(estagios_inatividade_dias) AND 365 >= ALL(estagios_inatividade_dias)",
            name="estagios_intervalo",
        ),
    )

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    days_without_first_visit: Mapped[int] = mapped_column("dias_sem_visita_inicial", Integer)
    min_visits_per_month: Mapped[int] = mapped_column("visitas_minimas_mes", Integer)
    early_period_days: Mapped[int] = mapped_column("dias_periodo_inicial", Integer)
    inactivity_stages_days: Mapped[list[int]] = mapped_column(
        "estagios_inatividade_dias", ARRAY(Integer)
    )
    changed_by: Mapped[str | None] = mapped_column("alterado_por", String(100))
    changed_at: Mapped[datetime | None] = mapped_column("alterado_em")
