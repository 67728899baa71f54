"""The churn database: feature projection, processed-event inbox, model registry and the
retraining jobs. Owned by the churn service alone."""

import asyncio
import logging
from pathlib import Path

from frequenta_db import migrations
from frequenta_kit.database import ensure_database, sync_url

log = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).parent


def head_revision() -> str | None:
    (head,) = migrations.heads(SCRIPT_LOCATION)
    return head


async def init_churn_database(url: str) -> None:
    """Create the database if it does not exist and migrate it. Safe to run any number of times."""
    name = sync_url(url).database
    created = await ensure_database(url)
    log.info("database %s %s", name, "created" if created else "already exists")
    before, after = await asyncio.to_thread(migrations.upgrade_to_head, SCRIPT_LOCATION, url)
    if before == after:
        log.info("schema of %s already at revision %s", name, after)
    else:
        log.info("schema of %s migrated from %s to %s", name, before or "nothing", after)
