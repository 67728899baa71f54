"""Churn's own database (the `frequenta_churn` database; no other service reads it)."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    SmallInteger,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import UUID
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
