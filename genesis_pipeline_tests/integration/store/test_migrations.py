"""The store's Alembic migrations on both databases the store runs on."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from genesis_pipeline.store import migrate
from genesis_pipeline.store.engine import make_engine
from genesis_pipeline.store.tables import metadata
from genesis_pipeline_tests.integration.store.conftest import DATABASES
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL, scratch_database


@pytest.fixture(params=DATABASES)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on a database with no tables at all (not even `alembic_version`)."""
    if request.param == "postgresql":
        try:
            with scratch_database(
                POSTGRES_ADMIN_URL, prefix="genesis_migrations", migrated=False
            ) as url:
                engine = make_engine(url)
                yield engine
                engine.dispose()
        except sa.exc.OperationalError as error:
            pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is needed: {error}".splitlines()[0])
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'g.db'}")
    yield engine
    engine.dispose()


def downgrade_to_base(engine: sa.Engine) -> None:
    config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")


def schema_diff(engine: sa.Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_upgrade_creates_every_table_at_head(empty_engine: sa.Engine) -> None:
    assert sa.inspect(empty_engine).get_table_names() == []
    before, after = migrate.upgrade(empty_engine)
    assert before is None
    assert after == migrate.head_revision()
    assert set(metadata.tables) <= set(sa.inspect(empty_engine).get_table_names())


def test_migrations_match_the_tables_module(empty_engine: sa.Engine) -> None:
    """A change to tables.py without a migration fails here, on either database."""
    migrate.upgrade(empty_engine)
    assert schema_diff(empty_engine) == []


def test_upgrade_twice_is_a_no_op(empty_engine: sa.Engine) -> None:
    migrate.upgrade(empty_engine)
    assert migrate.upgrade(empty_engine) == (migrate.head_revision(), migrate.head_revision())


def test_downgrade_to_base_drops_every_table_and_upgrade_restores_them(
    empty_engine: sa.Engine,
) -> None:
    migrate.upgrade(empty_engine)
    downgrade_to_base(empty_engine)
    assert migrate.current_revision(empty_engine) is None
    assert set(sa.inspect(empty_engine).get_table_names()) == {"alembic_version"}

    assert migrate.upgrade(empty_engine) == (None, migrate.head_revision())
    assert schema_diff(empty_engine) == []
