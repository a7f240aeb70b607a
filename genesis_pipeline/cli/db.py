"""`genesis db upgrade`: the genesis store's schema."""

import click

from genesis_pipeline.cli.common import console, ensure_dagster_home, fail_work


@click.group()
def db() -> None:
    """The genesis store's schema."""


@db.command()
def upgrade() -> None:
    """Apply the Alembic migrations to GENESIS_DATABASE_URL (or the SQLite default)."""
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store import migrate
    from genesis_pipeline.store.engine import make_engine

    ensure_dagster_home()
    url = GenesisSettings().resolved_database_url()
    engine = make_engine(url)
    try:
        before, after = migrate.upgrade(engine)
    except Exception as error:  # the database said no or is down: its one line, no traceback
        fail_work(f"cannot migrate {engine.url.render_as_string()}: {error}".splitlines()[0])
    console.print(
        f"genesis store at {engine.url.render_as_string()}: {before or 'empty'} → {after}"
    )
