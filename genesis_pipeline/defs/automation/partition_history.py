"""Dagster's asset history of archived sessions' partitions, removed.

Deleting a dynamic partition leaves its history in Dagster's event index: every materialization
and every check execution of every session ever run. Dagster reads a partitioned check's status
by grouping all of that history (deleted partitions included), and rebuilds the asset status
cache from it whenever the partitions change, so those reads would grow with the sessions ever
created instead of the sessions in use (decision 0007). SQL event storage does not implement
`wipe_asset_partitions`, so this module does what it would: it deletes a partition's asset
events (materializations, planned and failed ones, observations), their tags and its check
executions from the event index, through the storage's own tables. The runs stay, and the
genesis store keeps every version, verdict and bible.

This is the one place that touches Dagster's storage tables; `dagster` is pinned exactly, and
`genesis_pipeline_tests/integration/test_partition_history.py` checks it on SQLite and
PostgreSQL after any upgrade.
"""

from collections.abc import Iterable, Sequence

import dagster as dg
import sqlalchemy as sa


def forget_partitions(
    instance: dg.DagsterInstance, asset_keys: Iterable[dg.AssetKey], partitions: Sequence[str]
) -> int:
    """Delete the asset events and check executions of `partitions` of `asset_keys` from the
    instance's event index. Returns the rows deleted; 0 on storage that is not SQL."""
    # Dagster's storage modules (and alembic) only when the archive job runs.
    from dagster._core.events import ASSET_EVENTS
    from dagster._core.storage.event_log.schema import (
        AssetCheckExecutionsTable,
        AssetEventTagsTable,
        SqlEventLogStorageTable,
    )
    from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

    storage = instance.event_log_storage
    if not partitions or not isinstance(storage, SqlEventLogStorage):
        return 0
    keys = [key.to_string() for key in asset_keys]
    events = SqlEventLogStorageTable
    checks = AssetCheckExecutionsTable
    with storage.index_connection() as conn:
        ids = (
            conn.execute(
                sa.select(events.c.id)
                .where(events.c.asset_key.in_(keys))
                .where(events.c.dagster_event_type.in_([t.value for t in ASSET_EVENTS]))
                .where(events.c.partition.in_(partitions))
            )
            .scalars()
            .all()
        )
        deleted = 0
        if ids:
            conn.execute(
                sa.delete(AssetEventTagsTable).where(AssetEventTagsTable.c.event_id.in_(ids))
            )
            deleted += conn.execute(sa.delete(events).where(events.c.id.in_(ids))).rowcount
        deleted += conn.execute(
            sa.delete(checks)
            .where(checks.c.asset_key.in_(keys))
            .where(checks.c.partition.in_(partitions))
        ).rowcount
    return deleted
