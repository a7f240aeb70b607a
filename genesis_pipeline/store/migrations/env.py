"""Alembic environment: run by `genesis db upgrade` and on first use of a SQLite store."""

from alembic import context
from sqlalchemy import Connection

from genesis_pipeline.store.engine import make_engine
from genesis_pipeline.store.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def run_with(connection_: Connection) -> None:
    context.configure(
        connection=connection_,
        target_metadata=metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run_with(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        run_with(conn)
    engine.dispose()
