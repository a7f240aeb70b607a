"""A throw-away, migrated PostgreSQL database (tests and benchmarks)."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from genesis_pipeline.store import migrate
from genesis_pipeline.store.engine import dispose_shared_engine, make_engine

# The server whose `postgres` database the tests and benchmarks create scratch databases from.
POSTGRES_ADMIN_URL = os.environ.get(
    "GENESIS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def scratch_database(admin_url: str, *, prefix: str, migrated: bool = True) -> Iterator[str]:
    """Create a database next to `admin_url`'s, migrate it (unless `migrated` is false: for
    Dagster's own storage), yield its URL, drop it after.

    Raises `sqlalchemy.exc.OperationalError` when the server cannot be reached.
    """
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.rsplit("/", 1)[0] + f"/{name}"
        try:
            if migrated:
                engine = make_engine(url)
                migrate.upgrade(engine)
                engine.dispose()
            yield url
        finally:
            dispose_shared_engine(url)
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
