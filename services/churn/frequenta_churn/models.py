"""Churn's own database (the `frequenta_churn` database; no other service reads it)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RetrainingState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RetrainingJob(Base):
    """One request to train a new model version, and what came of it."""

    __tablename__ = "retraining_jobs"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed')", name="ck_retraining_state"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    state: Mapped[str] = mapped_column(String(20))
    promote_if_better: Mapped[bool]
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    model_version: Mapped[str | None] = mapped_column(String(100))
    promoted: Mapped[bool] = mapped_column(default=False, server_default="false")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProjectedMember(Base):
    """A member as churn's features need them (no personal data). The plan and enrollment are
    unknown (NULL) until the member's registration, or the export, has been applied."""

    __tablename__ = "alunos"
    __table_args__ = (
        CheckConstraint(
            "(plano_codigo IS NULL) = (data_matricula IS NULL)"
            " AND (plano_duracao_meses IS NULL) = (data_matricula IS NULL)",
            name="ck_alunos_registro_completo",
        ),
        # The at-risk list leaves out members cancelled after its snapshot (docs/churn.md).
        Index(
            "ix_alunos_cancelados_atualizado_em",
            "atualizado_em",
            postgresql_where=text("data_cancelamento IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    plan_code: Mapped[str | None] = mapped_column("plano_codigo", String(40))
    plan_duration_months: Mapped[int | None] = mapped_column("plano_duracao_meses", SmallInteger)
    enrolled_at: Mapped[datetime | None] = mapped_column("data_matricula", DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(
        "data_cancelamento", DateTime(timezone=True)
    )
    # The event's reason code: "price", "relocation", "no_time", ... (docs/events.md).
    cancellation_reason: Mapped[str | None] = mapped_column("motivo_cancelamento", String(40))
    updated_at: Mapped[datetime] = mapped_column(
        "atualizado_em", DateTime(timezone=True), server_default=func.now()
    )


class ProjectedVisit(Base):
    """A visit: entry and, once known, exit. No foreign key: it may arrive before its member."""

    __tablename__ = "checkins"
    __table_args__ = (
        CheckConstraint("data_saida > data_entrada", name="ck_checkins_saida_apos_entrada"),
        Index("ix_checkins_aluno_id_data_entrada", "aluno_id", "data_entrada"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[int] = mapped_column("aluno_id", BigInteger)
    entered_at: Mapped[datetime] = mapped_column("data_entrada", DateTime(timezone=True))
    exited_at: Mapped[datetime | None] = mapped_column("data_saida", DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        "atualizado_em", DateTime(timezone=True), server_default=func.now()
    )


class ProcessedEvent(Base):
    """The inbox: an event id here has been applied (in the same transaction as its effect)."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class RegisteredModel(Base):
    """One model version of the registry: the ONNX graph (every replica reads it from here, no
    shared file system), what serving needs besides it, and how it was trained and measured."""

    __tablename__ = "model_versions"
    __table_args__ = (
        CheckConstraint("horizon_days > 0", name="ck_model_versions_horizon"),
        CheckConstraint(
            "band_medium > 0 AND band_medium <= band_high AND band_high < 1",
            name="ck_model_versions_bands",
        ),
    )

    version: Mapped[str] = mapped_column(String(100), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(50))
    onnx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    # ModelSchema.to_dict(): feature names and descriptions, feature schema version,
    # explanation reference, risk bands.
    feature_schema: Mapped[dict] = mapped_column(JSONB)
    feature_schema_version: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    data_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trained_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trained_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    holdout_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    holdout_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    members: Mapped[int] = mapped_column(Integer)
    visits: Mapped[int] = mapped_column(BigInteger)
    cancellations: Mapped[int] = mapped_column(Integer)
    training_rows: Mapped[int] = mapped_column(Integer)
    training_positives: Mapped[int] = mapped_column(Integer)
    holdout_rows: Mapped[int] = mapped_column(Integer)
    holdout_positives: Mapped[int] = mapped_column(Integer)
    # Every candidate's hold-out metrics (evaluation.Metrics.as_dict()), the chosen one included.
    metrics: Mapped[dict] = mapped_column(JSONB)
    band_medium: Mapped[float] = mapped_column(Float)
    band_high: Mapped[float] = mapped_column(Float)
    parity_max_diff: Mapped[float] = mapped_column(Float)
    # The hold-out rows (npz: float32 features, int8 labels): a later version is promoted only
    # if it beats this one on its own rows, scored by both.
    holdout: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    training_seconds: Mapped[dict] = mapped_column(JSONB)
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("retraining_jobs.id", ondelete="SET NULL"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @property
    def chosen_metrics(self) -> dict:
        return self.metrics[self.algorithm]


class ModelPromotion(Base):
    """One change of the serving version; the latest row (highest id) is the one serving."""

    __tablename__ = "model_promotions"
    __table_args__ = (
        CheckConstraint(
            "reason IN ('first', 'better', 'forced', 'rollback')", name="ck_model_promotion_reason"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version: Mapped[str] = mapped_column(String(100), ForeignKey("model_versions.version"))
    reason: Mapped[str] = mapped_column(String(20))
    promoted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The version serving before this row, and the comparison behind the decision (both
    # models' PR-AUC on the promoted version's hold-out), when one was made.
    replaced_version: Mapped[str | None] = mapped_column(String(100))
    candidate_pr_auc: Mapped[float | None] = mapped_column(Float)
    serving_pr_auc: Mapped[float | None] = mapped_column(Float)


_BANDS = "faixa IN ('low', 'medium', 'high')"


class ServedRisk(Base):
    """The latest risk served for a member (GetChurnRisk, or a page of ListAtRiskMembers)."""

    __tablename__ = "risco"
    __table_args__ = (
        CheckConstraint(_BANDS, name="ck_risco_faixa"),
        CheckConstraint("probabilidade BETWEEN 0 AND 1", name="ck_risco_probabilidade"),
    )

    member_id: Mapped[int] = mapped_column(
        "aluno_id", BigInteger, primary_key=True, autoincrement=False
    )
    probability: Mapped[float] = mapped_column("probabilidade", Float)
    band: Mapped[str] = mapped_column("faixa", String(10))  # low, medium, high
    # [{factor, feature, value, direction, weight, description}], strongest first.
    factors: Mapped[list] = mapped_column("fatores", JSONB)
    recommendations: Mapped[list] = mapped_column("recomendacoes", JSONB)
    model_version: Mapped[str] = mapped_column("versao_modelo", String(100))
    horizon_days: Mapped[int] = mapped_column("horizonte_dias", Integer)
    limited_history: Mapped[bool] = mapped_column("historico_limitado", Boolean)
    plan_code: Mapped[str] = mapped_column("plano_codigo", String(40))
    computed_at: Mapped[datetime] = mapped_column("calculado_em", DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        "atualizado_em", DateTime(timezone=True), server_default=func.now()
    )


class RiskHistory(Base):
    """One score per active member and local day: the day's first risk snapshot."""

    __tablename__ = "risco_historico"
    __table_args__ = (
        CheckConstraint(_BANDS, name="ck_risco_historico_faixa"),
        CheckConstraint("probabilidade BETWEEN 0 AND 1", name="ck_risco_historico_probabilidade"),
    )

    member_id: Mapped[int] = mapped_column(
        "aluno_id", BigInteger, primary_key=True, autoincrement=False
    )
    day: Mapped[date] = mapped_column("dia", Date, primary_key=True)
    probability: Mapped[float] = mapped_column("probabilidade", Float)
    band: Mapped[str] = mapped_column("faixa", String(10))
    model_version: Mapped[str] = mapped_column("versao_modelo", String(100))
    computed_at: Mapped[datetime] = mapped_column("calculado_em", DateTime(timezone=True))


class RetentionGroup(Base):
    """The retention group a member was drawn into, once, when first seen at band high in the
    at-risk list's snapshot (docs/retention.md): `controle` (not contacted) or `contato`."""

    __tablename__ = "retencao_grupos"
    __table_args__ = (
        CheckConstraint("grupo IN ('controle', 'contato')", name="ck_retencao_grupos_grupo"),
        CheckConstraint("probabilidade BETWEEN 0 AND 1", name="ck_retencao_grupos_probabilidade"),
    )

    member_id: Mapped[int] = mapped_column(
        "aluno_id", BigInteger, primary_key=True, autoincrement=False
    )
    group: Mapped[str] = mapped_column("grupo", String(10))
    assigned_at: Mapped[datetime] = mapped_column("atribuido_em", DateTime(timezone=True))
    probability: Mapped[float] = mapped_column("probabilidade", Float)
    model_version: Mapped[str] = mapped_column("versao_modelo", String(100))


class Contact(Base):
    """One contact of the retention team with a member (the contact log)."""

    __tablename__ = "contatos"
    __table_args__ = (
        CheckConstraint(
            "canal IN ('telefone', 'whatsapp', 'email', 'sms', 'presencial')",
            name="ck_contatos_canal",
        ),
        CheckConstraint(
            "resultado IN ('sem_resposta', 'conversou', 'retorno_agendado', 'recusou',"
            " 'cancelamento_evitado')",
            name="ck_contatos_resultado",
        ),
        Index("ix_contatos_aluno_id_registrado_em", "aluno_id", "registrado_em"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column("aluno_id", BigInteger)
    channel: Mapped[str] = mapped_column("canal", String(20))
    outcome: Mapped[str] = mapped_column("resultado", String(30))
    note: Mapped[str | None] = mapped_column("nota", Text)
    next_step: Mapped[str | None] = mapped_column("proximo_passo", Text)
    next_step_on: Mapped[date | None] = mapped_column("proximo_passo_em", Date)
    author: Mapped[str] = mapped_column("autor", String(100))
    off_protocol: Mapped[bool] = mapped_column(
        "fora_do_protocolo", Boolean, default=False, server_default="false"
    )
    recorded_at: Mapped[datetime] = mapped_column("registrado_em", DateTime(timezone=True))
