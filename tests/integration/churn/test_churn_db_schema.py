"""Churn's database as the migrations make it: the same as the ORM models declare."""

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine

from frequenta_churn.models import Base
from frequenta_kit.database import sync_url


def schema_differences(url: str, metadata: MetaData) -> list:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


async def test_orm_models_match_the_migrations(churn_database_url):
    differences = await asyncio.to_thread(schema_differences, churn_database_url, Base.metadata)
    assert differences == []
