"""Alembic configured in code for any of Frequenta's databases, so nothing depends on the
working directory or on an ``alembic.ini``. Each database has a folder with ``env.py`` and
``versions/``; these functions take that folder."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from frequenta_kit.database import sync_url

# New revisions are named <date>_<revision>_<slug>.py, so a folder lists them in order.
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"


def alembic_config(
    script_location: Path, url: str, *, connection: Connection | None = None
) -> Config:
    """Alembic for the database at ``url`` (any driver; migrations run through psycopg).
    With ``connection``, migrations run on it (inside its transaction)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    config.attributes["url"] = sync_url(url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def heads(script_location: Path) -> list[str]:
    return list(
        ScriptDirectory.from_config(alembic_config(script_location, "postgresql://")).get_heads()
    )


def upgrade_to_head(script_location: Path, url: str) -> tuple[str | None, str | None]:
    """Apply the pending migrations in one transaction; the revisions before and after."""
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(alembic_config(script_location, url, connection=connection), "head")
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return before, after


def new_revision(script_location: Path, url: str, message: str) -> str:
    """Autogenerate a migration from the models against the (migrated) database at ``url``."""
    script = command.revision(
        alembic_config(script_location, url), message=message, autogenerate=True
    )
    return getattr(script, "path", str(script))
