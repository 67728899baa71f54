"""What every database's Alembic ``env.py`` runs: online migrations on the connection (or URL)
that :mod:`frequenta_db.migrations` put in ``config.attributes``."""

from alembic import context
from sqlalchemy import MetaData, create_engine
from sqlalchemy.engine import Connection


def _run(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations(target_metadata: MetaData) -> None:
    if context.is_offline_mode():
        raise SystemExit(
            "offline (--sql) migrations are not supported; run them against a database"
        )
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, target_metadata)
        return
    engine = create_engine(config.attributes["url"])
    try:
        with engine.connect() as connection:
            _run(connection, target_metadata)
    finally:
        engine.dispose()
