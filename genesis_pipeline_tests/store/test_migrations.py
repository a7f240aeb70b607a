import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from genesis_pipeline.store import migrate
from genesis_pipeline.store.engine import make_engine
from genesis_pipeline.store.tables import metadata


def test_upgrade_creates_every_table_at_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    before, after = migrate.upgrade(engine)
    assert before is None
    assert after == migrate.head_revision()
    assert set(metadata.tables) <= set(sa.inspect(engine).get_table_names())


def test_migrations_match_the_tables_module(tmp_path):
    """A change to tables.py without a migration fails here."""
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == []


def test_upgrade_twice_is_a_no_op(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    migrate.upgrade(engine)
    assert migrate.upgrade(engine) == (migrate.head_revision(), migrate.head_revision())
