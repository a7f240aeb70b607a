"""Engines for the genesis store: SQLite for one machine, PostgreSQL in production."""

import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event


def make_engine(url: str) -> sa.Engine:
    """An engine whose transactions are safe for several processes at once.

    On SQLite every transaction takes the write lock when it begins (`BEGIN IMMEDIATE`):
    a deferred transaction that later needs to write can fail with "database is locked"
    without waiting, while an immediate one waits `busy_timeout` for its turn. WAL lets
    readers go on while one process writes.
    """
    if not url.startswith("sqlite"):
        return sa.create_engine(url, pool_pre_ping=True, future=True)

    engine = sa.create_engine(url, connect_args={"timeout": 30}, future=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy so that `begin` below decides how to begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def is_sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()


def shared_engine(url: str) -> sa.Engine:
    """One engine (and pool) per database per process.

    A SQLite store (one machine, the embedded default) is migrated on first use. Any other
    store is migrated by its operator (`genesis db upgrade`, once per deployment, not by
    whichever process starts first): its schema is checked on first use, and a store that is
    behind or ahead raises `StoreSchemaError` saying what to do.
    """
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            from genesis_pipeline.store import migrate  # migrate imports this module

            if not is_sqlite(engine):
                migrate.check_schema(engine)
            elif migrate.current_revision(engine) != migrate.head_revision():
                migrate.upgrade(engine)
            _engines[url] = engine
        return engine


def dispose_shared_engine(url: str) -> None:
    """Close the pooled connections of a store (tests dropping their database)."""
    with _engines_lock:
        engine = _engines.pop(url, None)
    if engine is not None:
        engine.dispose()
