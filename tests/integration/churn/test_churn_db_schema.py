"""Churn's database as the migrations make it: the same as the ORM models declare."""

from integration_support import schema_differences

from frequenta_churn.models import Base


async def test_orm_models_match_the_migrations(churn_database_url):
    assert await schema_differences(churn_database_url, Base.metadata) == []
