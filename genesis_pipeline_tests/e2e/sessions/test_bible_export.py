"""The bible's export is a step of its own: it fails alone, and runs again alone."""

import dagster as dg

from genesis_pipeline.defs.resources import BibleExporter
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import Stage


def test_a_failed_export_stores_the_bible_and_completes_nothing_until_it_runs_again(
    run, instance, tmp_path
) -> None:
    broken = {"exporter": BibleExporter(export_uri="s3://")}  # no bucket: a malformed location
    result, resources = run(resources_overrides=broken)
    store = resources["genesis_store"].store

    assert result.status is SessionStatus.NEEDS_ATTENTION
    assert store.current_approved("harbor-01", Stage.STORY_BIBLE) is not None  # stored, approved
    assert EventType.SESSION_COMPLETED not in [e.event_type for e in store_events(store)]
    [failed] = [e for e in store_events(store) if e.event_type == EventType.STAGE_FAILED]
    assert failed.payload["stage"] == "story_bible"
    assert "s3://" in failed.payload["message"]
    versions_before = store.bible_document("harbor-01").versions

    # The writer's ops fix the location and materialize the export again (UI, or this).
    fixed = {**resources, "exporter": BibleExporter(export_uri=str(tmp_path / "exports"))}
    done = dg.materialize(
        GENESIS_ASSETS,
        selection=["bible_export"],
        partition_key="harbor-01",
        instance=instance,
        resources=fixed,
    )
    assert done.success
    completed = [e for e in store_events(store) if e.event_type == EventType.SESSION_COMPLETED]
    assert len(completed) == 1 and completed[0].payload["bible_location"].startswith("file://")
    assert (tmp_path / "exports" / "harbor-01.json").exists()
    assert store.bible_document("harbor-01").versions == versions_before  # nothing regenerated


def store_events(store):
    with store.read() as r:
        return r.outbox.for_session("harbor-01")
