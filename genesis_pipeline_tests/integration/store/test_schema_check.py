"""A PostgreSQL store whose schema is not this version's says so in one line, everywhere."""

from collections.abc import Iterator

import dagster as dg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from genesis_pipeline.cli import main
from genesis_pipeline.defs.automation.relay_sensor import genesis_outbox_relay_sensor
from genesis_pipeline.defs.resources import GenesisStoreResource, KafkaResource
from genesis_pipeline.store import migrate
from genesis_pipeline.store.engine import dispose_shared_engine, make_engine
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.migrate import StoreSchemaError
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL, scratch_database


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A PostgreSQL database nobody ran `genesis db upgrade` on."""
    with scratch_database(POSTGRES_ADMIN_URL, prefix="genesis_unmigrated", migrated=False) as url:
        yield url
        dispose_shared_engine(url)


def test_the_store_refuses_an_unmigrated_database_with_what_to_do(empty_postgres: str) -> None:
    with pytest.raises(StoreSchemaError) as caught:
        GenesisStore(empty_postgres)
    message = str(caught.value)
    assert "not migrated (schema empty" in message and "run `genesis db upgrade`" in message
    assert "\n" not in message


def test_a_store_from_a_newer_version_is_named_as_such(empty_postgres: str) -> None:
    engine = make_engine(empty_postgres)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(StoreSchemaError, match="newer than this version knows"):
        GenesisStore(empty_postgres)


def test_the_cli_says_it_in_one_line_and_exits_1(
    empty_postgres: str, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("GENESIS_DATABASE_URL", empty_postgres)
    result = CliRunner().invoke(main, ["status", "some-session"])
    assert result.exit_code == 1
    assert "run `genesis db upgrade`" in result.output and "Traceback" not in result.output

    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    dispose_shared_engine(empty_postgres)  # the CLI's engine saw the old schema
    result = CliRunner().invoke(main, ["status", "some-session"])
    assert result.exit_code == 2 and "no session 'some-session'" in result.output


def test_a_sensor_tick_fails_with_the_same_line(empty_postgres: str) -> None:
    context = dg.build_sensor_context(
        resources={
            "genesis_store": GenesisStoreResource(database_url=empty_postgres),
            "kafka": KafkaResource(bootstrap="127.0.0.1:1"),
        }
    )
    with pytest.raises(Exception, match="run `genesis db upgrade`"):
        genesis_outbox_relay_sensor(context)
