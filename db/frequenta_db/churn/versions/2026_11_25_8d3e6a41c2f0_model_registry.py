"""The model registry: model_versions (the ONNX graph as bytea, so every replica reads the same
bytes from the database and no file system is shared; the feature schema, training window, data
counts, every candidate's hold-out metrics, risk-band thresholds, parity, the hold-out rows) and
model_promotions (each change of the serving version; the latest row is the serving one).

Revision ID: 8d3e6a41c2f0
Revises: ffc1ca3109a7
Create Date: 2026-11-25 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "8d3e6a41c2f0"
down_revision: str | None = "ffc1ca3109a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(100), primary_key=True),
        sa.Column("algorithm", sa.String(50), nullable=False),
        sa.Column("onnx", sa.LargeBinary(), nullable=False),
        sa.Column("feature_schema", postgresql.JSONB(), nullable=False),
        sa.Column("feature_schema_version", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("data_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holdout_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holdout_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("visits", sa.BigInteger(), nullable=False),
        sa.Column("cancellations", sa.Integer(), nullable=False),
        sa.Column("training_rows", sa.Integer(), nullable=False),
        sa.Column("training_positives", sa.Integer(), nullable=False),
        sa.Column("holdout_rows", sa.Integer(), nullable=False),
        sa.Column("holdout_positives", sa.Integer(), nullable=False),
        sa.Column("metrics", postgresql.JSONB(), nullable=False),
        sa.Column("band_medium", sa.Float(), nullable=False),
        sa.Column("band_high", sa.Float(), nullable=False),
        sa.Column("parity_max_diff", sa.Float(), nullable=False),
        sa.Column("holdout", sa.LargeBinary(), nullable=False),
        sa.Column("training_seconds", postgresql.JSONB(), nullable=False),
        sa.Column(
            "job_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("retraining_jobs.id", ondelete="SET NULL"),
            nullable=True,
            unique=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("horizon_days > 0", name="ck_model_versions_horizon"),
        sa.CheckConstraint(
            "band_medium > 0 AND band_medium <= band_high AND band_high < 1",
            name="ck_model_versions_bands",
        ),
    )
    op.create_table(
        "model_promotions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "version",
            sa.String(100),
            sa.ForeignKey("model_versions.version"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("promoted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_version", sa.String(100), nullable=True),
        sa.Column("candidate_pr_auc", sa.Float(), nullable=True),
        sa.Column("serving_pr_auc", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "reason IN ('first', 'better', 'forced', 'rollback')", name="ck_model_promotion_reason"
        ),
    )


def downgrade() -> None:
    op.drop_table("model_promotions")
    op.drop_table("model_versions")
