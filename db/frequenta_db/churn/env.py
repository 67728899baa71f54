"""Alembic environment of the churn database."""

from frequenta_churn.models import Base
from frequenta_db.alembic_env import run_migrations

run_migrations(Base.metadata)
