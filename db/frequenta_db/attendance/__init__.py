"""The attendance database: Alembic migrations (``versions/``, run by ``env.py``) and the
default plans."""

import asyncio
import logging
from pathlib import Path

from frequenta_db import migrations
from frequenta_db.attendance.seed import load_default_plans
from frequenta_kit.database import ensure_database, sync_url

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).parent


def head_revision() -> str | None:
    (head,) = migrations.heads(SCRIPT_LOCATION)
    return head


def upgrade_to_head(url: str) -> tuple[str | None, str | None]:
    return migrations.upgrade_to_head(SCRIPT_LOCATION, url)


def new_revision(url: str, message: str) -> str:
    return migrations.new_revision(SCRIPT_LOCATION, url, message)


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
