"""Sensors: revision requests → runs, and the automation safety net."""

from collections.abc import Collection

import dagster as dg

from genesis_pipeline.defs.automation.failures import record_failures, stage_failures
from genesis_pipeline.defs.automation.jobs import genesis_session_job, stages_run
from genesis_pipeline.defs.automation.revision_planner import (
    REVISION_KEY_TAG,
    plan_revision_runs,
    session_tags,
    stages_to_resume,
)
from genesis_pipeline.defs.resources import GenesisStoreResource
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.unit_of_work import UnitOfWork

REVISION_BATCH = 200


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
    return dg.SensorResult(run_requests=runs)


def revision_run_requests(
    instance: dg.DagsterInstance, store: GenesisStore, sessions: Collection[str] | None = None
) -> list[dg.RunRequest]:
    """Runs for pending revision requests (of `sessions`, or all), leaving out runs that the
    feedback or revision sensor started already."""
    with store.read() as r:
        if sessions is None:
            pending = r.revisions.pending(after_id=0, limit=REVISION_BATCH)
        else:
            pending = [p for sid in sessions for p in r.revisions.pending_for_session(sid)]
        records = {sid: r.sessions.get(sid) for sid in {p.session_id for p in pending}}
        unfinished = {}
        for sid in records:
            if stages := stages_left(r, sid):
                unfinished[sid] = stages[0]
    known = {k: v for k, v in records.items() if v is not None}
    planned = plan_revision_runs(pending, known, unfinished)
    return [
        stages_run(run.session_id, run.stages, run_key=run.run_key, tags=run.tags)
        for run in planned
        if not instance.get_run_ids(dg.RunsFilter(tags={REVISION_KEY_TAG: run.run_key}), limit=1)
    ]


def stages_left(r: UnitOfWork, session_id: str) -> tuple[Stage, ...]:
    """What a session still has to run (see `stages_to_resume`), from the stored versions."""
    passed = {s: r.artifacts.current_passed(session_id, s) for s in STAGE_ORDER}
    approved = {s: r.artifacts.current_approved(session_id, s) for s in STAGE_ORDER}
    return stages_to_resume(passed, approved)


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


TRANSIENT_RETRY_TAG = "genesis/transient_retry"
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
    session_id = run.tags.get("dagster/partition")
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
        session = r.sessions.get(session_id)
        left = stages_left(r, session_id)
    if session is None or session.status != SessionStatus.ACTIVE or not left:
        return None
    return stages_run(
        session_id,
        left,
        run_key=f"transient-retry:{run.run_id}",
        tags={**session_tags(session_id, session.spec.priority), TRANSIENT_RETRY_TAG: str(attempt)},
    )
