"""Jobs operators rely on (docs/CONTRACT.md §8)."""

from collections.abc import Iterable, Mapping

import dagster as dg

from genesis_pipeline.defs.stages.bible_export import BIBLE_EXPORT
from genesis_pipeline.defs.stages.partitions import GENESIS_SESSION_PARTITIONS
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service.planner import PlannedRun

# The run statuses the pipeline asks about: runs not started yet (a pause cancels them), and
# runs that hold a session (a cancel terminates them; a backfill waits for them).
QUEUED = (dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED)
IN_FLIGHT = (*QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED)
HOLDING = (*IN_FLIGHT, dg.DagsterRunStatus.CANCELING)

genesis_session_job = dg.define_asset_job(
    "genesis_session_job",
    selection=dg.AssetSelection.groups("genesis"),
    description="All six stages of one writing session (one partition), with their gates.",
)


def session_assets(stages: Iterable[Stage], *, export: bool = False) -> list[dg.AssetKey]:
    """The assets a run of `stages` selects: the stages, and the bible's export after a run
    that writes the bible (or when asked, after the writer accepted it)."""
    keys = [dg.AssetKey(stage.value) for stage in stages]
    if export or dg.AssetKey(Stage.STORY_BIBLE.value) in keys:
        keys.append(dg.AssetKey(BIBLE_EXPORT))
    return keys


def stages_run(
    session_id: str,
    stages: Iterable[Stage],
    *,
    run_key: str,
    tags: Mapping[str, str],
    export: bool = False,
) -> dg.RunRequest:
    """A run of `stages` (with their gates) of one session, for any sensor or schedule."""
    return dg.RunRequest(
        run_key=run_key,
        partition_key=session_id,
        asset_selection=session_assets(stages, export=export),
        tags=dict(tags),
    )


def planned_run(run: PlannedRun) -> dg.RunRequest:
    """The run request of a run the planner asked for."""
    return stages_run(
        run.session_id, run.stages, run_key=run.run_key, tags=run.tags, export=run.export
    )


def ensure_partitions(instance: dg.DagsterInstance, session_ids: Iterable[str]) -> list[str]:
    """Add the partitions these sessions lack, before their runs start: a new session's, or
    an archived one's (or one deleted in the UI) that a run revives. Returns those added."""
    missing = [
        key
        for key in dict.fromkeys(session_ids)
        if not instance.has_dynamic_partition(GENESIS_SESSION_PARTITIONS, key)
    ]
    if missing:
        instance.add_dynamic_partitions(GENESIS_SESSION_PARTITIONS, missing)
    return missing
