"""Alembic environment of the attendance database."""

from frequenta_attendance.models import Base
from frequenta_db.alembic_env import run_migrations

run_migrations(Base.metadata)
