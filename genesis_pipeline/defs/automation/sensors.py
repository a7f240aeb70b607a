"""Sensors: revision requests → runs, and the automation safety net."""

from collections.abc import Collection
from dataclasses import replace

import dagster as dg

from genesis_pipeline.defs.automation.failures import record_failures, stage_failures
from genesis_pipeline.defs.automation.jobs import (
    ensure_partitions,
    genesis_session_job,
    planned_run,
)
from genesis_pipeline.defs.resources import GenesisStoreResource
from genesis_pipeline.service.planner import (
    PARTITION_TAG,
    REVISION_KEY_TAG,
    REVISION_REQUESTS_TAG,
    TRANSIENT_RETRY_TAG,
    PlannedRun,
    Revisions,
    TransientRetry,
    by_priority,
    next_runs,
)
from genesis_pipeline.store.genesis_store import GenesisStore, session_state

REVISION_BATCH = 200
STOPPED = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


@dg.sensor(
    name="genesis_revision_sensor",
    job=genesis_session_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Turns stored revision requests (a failed gate, writer feedback) into runs of the stage "
        "and everything downstream of it, one run per session; run_key per oldest request."
    ),
)
def genesis_revision_sensor(
    context: dg.SensorEvaluationContext, genesis_store: GenesisStoreResource
) -> dg.SensorResult | dg.SkipReason:
    runs = revision_run_requests(context.instance, genesis_store.store)
    if not runs:
        return dg.SkipReason("no pending revision requests for active sessions without a run")
    ensure_partitions(context.instance, [run.partition_key or "" for run in runs])
    return dg.SensorResult(run_requests=runs)


def revision_run_requests(
    instance: dg.DagsterInstance, store: GenesisStore, sessions: Collection[str] | None = None
) -> list[dg.RunRequest]:
    """Runs for pending revision requests (of `sessions`, or all), leaving out runs that the
    feedback or revision sensor started already."""
    with store.read() as r:
        if sessions is None:
            pending = r.revisions.pending(after_id=0, limit=REVISION_BATCH)
            sessions = {request.session_id for request in pending}
        states = [state for sid in sessions if (state := session_state(r, sid)) is not None]
    planned = sorted((run for s in states for run in next_runs(s, Revisions())), key=by_priority)
    fresh = (_not_started(instance, run) for run in planned)
    return [planned_run(run) for run in fresh if run is not None]


def _not_started(instance: dg.DagsterInstance, run: PlannedRun) -> PlannedRun | None:
    """`run`, unless a run with its revision key exists. When that one stopped (failed or was
    cancelled) and requests came after it, the newest of them keys a run of its own: a
    writer's change after a failed revision starts a run, a failed revision alone does not."""
    tried = instance.get_runs(dg.RunsFilter(tags={REVISION_KEY_TAG: run.run_key}), limit=1)
    if not tried:
        return run
    if tried[0].status not in STOPPED:
        return None
    # Every run for these requests carries the oldest one's revision key, so `tried` is the
    # newest of them, and what it answered is what the writer had asked for by then.
    answered = {int(i) for i in tried[0].tags.get(REVISION_REQUESTS_TAG, "").split(",") if i}
    newer = [request_id for request_id in run.request_ids if request_id not in answered]
    return replace(run, run_key=f"revision:{run.session_id}:{max(newer)}") if newer else None


genesis_automation_sensor = dg.AutomationConditionSensorDefinition(
    "genesis_automation_sensor",
    target=dg.AssetSelection.groups("genesis"),
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Re-materializes downstream stages after an upstream stage changed and passed its "
        "blocking gates (also after a re-materialization started by hand in the UI)."
    ),
)


MAX_TRANSIENT_RETRIES = 3


@dg.run_failure_sensor(
    name="genesis_stage_failure_sensor",
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    request_job=genesis_session_job,
    description=(
        "Records `stage.failed` (and marks the session as needing attention) when a stage "
        "fails with an error that retries could not fix; failed gates are left to revisions. "
        "A stage that failed because the database or code server went away for a moment is "
        f"run again instead (up to {MAX_TRANSIENT_RETRIES} times)."
    ),
)
def genesis_stage_failure_sensor(
    context: dg.RunFailureSensorContext, genesis_store: GenesisStoreResource
) -> dg.RunRequest | None:
    run = context.dagster_run
    session_id = run.tags.get(PARTITION_TAG)
    if session_id is None:
        return None
    failures = stage_failures(event for event in context.get_step_failure_events())
    retried = int(run.tags.get(TRANSIENT_RETRY_TAG, "0"))
    if failures and all(f.transient for f in failures) and retried < MAX_TRANSIENT_RETRIES:
        return transient_retry(genesis_store.store, run, session_id, retried + 1)
    record_failures(genesis_store.store, session_id, failures, run_id=run.run_id)
    return None


def transient_retry(
    store: GenesisStore, run: dg.DagsterRun, session_id: str, attempt: int
) -> dg.RunRequest | None:
    """The stages the failed run left undone, again, unless the session stopped meanwhile."""
    with store.read() as r:
        state = session_state(r, session_id)
    planned = next_runs(state, TransientRetry(run.run_id, attempt)) if state else []
    return planned_run(planned[0]) if planned else None
