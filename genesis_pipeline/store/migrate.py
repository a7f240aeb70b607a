"""Applying the store's Alembic migrations, and telling an operator when a store needs them."""

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


class StoreSchemaError(RuntimeError):
    """The store's schema is not the one this code was written for; the message says what to do
    in one line (sensors, the relay and the CLI show nothing else)."""


def check_schema(engine: sa.Engine) -> None:
    """Raise `StoreSchemaError` unless the store is at the newest migration this code knows."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    known = {
        script.revision
        for script in ScriptDirectory.from_config(alembic_config("")).walk_revisions()
    }
    if current is None or current in known:
        raise StoreSchemaError(
            f"the genesis store at {where} is not migrated (schema {current or 'empty'}, this "
            f"version needs {head}): run `genesis db upgrade` with the same GENESIS_DATABASE_URL"
        )
    raise StoreSchemaError(
        f"the genesis store at {where} has schema {current}, newer than this version knows "
        f"({head}): upgrade genesis_pipeline here"
    )


def upgrade(engine: sa.Engine) -> tuple[str | None, str | None]:
    """Bring the store to the newest schema; returns (revision before, revision after)."""
    before = current_revision(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, current_revision(engine)
