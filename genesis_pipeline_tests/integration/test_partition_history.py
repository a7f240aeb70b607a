"""An archived session's Dagster history is removed from the event index, on both of Dagster's
SQL storages, and every other partition's history stays as it was."""

from collections.abc import Iterator

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.test_utils import instance_for_test

from genesis_pipeline.defs.automation.partition_history import forget_partitions
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL, scratch_database

sessions = dg.DynamicPartitionsDefinition(name="sessions")
CHECK = dg.AssetCheckKey(dg.AssetKey("draft"), "gate")


@dg.asset(
    partitions_def=sessions,
    check_specs=[dg.AssetCheckSpec("gate", asset="draft", partitions_def=sessions)],
)
def draft(context: dg.AssetExecutionContext) -> Iterator[dg.Output[str] | dg.AssetCheckResult]:
    yield dg.Output(context.partition_key, data_version=dg.DataVersion(context.partition_key))
    yield dg.AssetCheckResult(check_name="gate", passed=context.partition_key != "b")


@dg.asset(partitions_def=sessions, deps=[draft])
def summary() -> None:
    pass


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def instance(request: pytest.FixtureRequest) -> Iterator[dg.DagsterInstance]:
    if request.param == "sqlite":
        with instance_for_test() as sqlite_instance:
            yield sqlite_instance
        return
    try:
        with scratch_database(POSTGRES_ADMIN_URL, prefix="dagster_test", migrated=False) as url:
            storage = {"postgres": {"postgres_url": url.replace("+psycopg", "+psycopg2")}}
            with instance_for_test(overrides={"storage": storage}) as pg_instance:
                assert type(pg_instance.event_log_storage).__name__ == "PostgresEventLogStorage"
                yield pg_instance
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is needed: {error}".splitlines()[0])


def materialized(instance: dg.DagsterInstance, key: str) -> set[str]:
    return instance.get_materialized_partitions(dg.AssetKey(key))


def checked(instance: dg.DagsterInstance) -> dict[str, str]:
    infos = instance.event_log_storage.get_asset_check_partition_info([CHECK])
    return {i.partition_key: i.latest_execution_status.value for i in infos if i.partition_key}


def test_forgetting_a_partition_deletes_its_asset_events_and_check_executions(
    instance: dg.DagsterInstance,
) -> None:
    instance.add_dynamic_partitions("sessions", ["a", "b", "c"])
    for key in ["a", "b", "a", "c"]:  # "a" twice: a rewrite
        result = dg.materialize([draft, summary], instance=instance, partition_key=key)
        assert result.success
    instance.report_runless_asset_event(
        dg.AssetCheckEvaluation(asset_key=CHECK.asset_key, check_name="gate", passed=True,
                                partition="b")
    )  # fmt: skip
    assert materialized(instance, "draft") == materialized(instance, "summary") == {"a", "b", "c"}
    assert checked(instance) == {"a": "SUCCEEDED", "b": "SUCCEEDED", "c": "SUCCEEDED"}

    deleted = forget_partitions(
        instance, [dg.AssetKey("draft"), dg.AssetKey("summary")], ["a", "b"]
    )

    # Three runs of "a" and "b": per run and asset, a materialization and a planned one; per run,
    # a check execution; and "b"'s runless verdict.
    assert deleted == 3 * 2 * 2 + 3 + 1
    assert materialized(instance, "draft") == materialized(instance, "summary") == {"c"}
    assert checked(instance) == {"c": "SUCCEEDED"}
    for key in ["a", "b"]:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("draft"), asset_partitions=[key]), limit=5
        ).records
        assert records == []
        assert instance.get_latest_planned_materialization_info(dg.AssetKey("draft"), key) is None
    # The data version of "c" (an asset event tag) is still there; "a"'s tags went with it.
    versions = instance.get_event_tags_for_asset(dg.AssetKey("draft"))
    assert [tags["dagster/data_version"] for tags in versions] == ["c"]
    # The runs stay; a session that comes back is materialized and checked as a new one.
    assert len(instance.get_run_records()) == 4
    assert dg.materialize([draft], instance=instance, partition_key="a").success
    assert materialized(instance, "draft") == {"a", "c"}
    assert checked(instance) == {"a": "SUCCEEDED", "c": "SUCCEEDED"}


def test_forgetting_no_partitions_deletes_nothing(instance: dg.DagsterInstance) -> None:
    instance.add_dynamic_partitions("sessions", ["a"])
    assert dg.materialize([draft], instance=instance, partition_key="a").success
    assert forget_partitions(instance, [dg.AssetKey("draft")], []) == 0
    assert forget_partitions(instance, [dg.AssetKey("summary")], ["a"]) == 0
    assert materialized(instance, "draft") == {"a"}
