"""The attendance database: Alembic migrations (``versions/``, run by ``env.py``) and the
default plans. Alembic is configured here in code, so nothing depends on the working directory
or on an ``alembic.ini``."""

import asyncio
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from frequenta_db.attendance.seed import load_default_plans
from frequenta_kit.database import ensure_database, sync_url

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).parent
# New revisions are named <date>_<revision>_<slug>.py, so the folder lists them in order.
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s"


def alembic_config(url: str, *, connection: Connection | None = None) -> Config:
    """Alembic set up for the attendance database at ``url`` (any driver; Alembic uses psycopg).
    With ``connection``, migrations run on it (inside its transaction)."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("timezone", "UTC")
    config.attributes["url"] = sync_url(url)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def upgrade_to_head(url: str) -> tuple[str | None, str | None]:
    """Apply the pending migrations in one transaction; the revisions before and after."""
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            command.upgrade(alembic_config(url, connection=connection), "head")
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
    return before, after


def new_revision(url: str, message: str) -> str:
    """Autogenerate a migration from the models against the (migrated) database at ``url``."""
    script = command.revision(alembic_config(url), message=message, autogenerate=True)
    return getattr(script, "path", str(script))


async def init_attendance_database(url: str) -> None:
    """Create the database if it does not exist, migrate it to the latest revision and load the
    default plans. Safe to run any number of times."""
    name = sync_url(url).database
    created = await ensure_database(url)
    log.info("database %s %s", name, "created" if created else "already exists")
    before, after = await asyncio.to_thread(upgrade_to_head, url)
    if before == after:
        log.info("schema of %s already at revision %s", name, after)
    else:
        log.info("schema of %s migrated from %s to %s", name, before or "nothing", after)
    inserted, kept = await load_default_plans(url)
    log.info(
        "default plans inserted: %s; already present (left as the gym set them): %s",
        ", ".join(inserted) or "none",
        ", ".join(kept) or "none",
    )
