"""The scheduled backfills: stale prompt versions, the nightly consistency audit, outbox
retention and the archive of finished sessions.

Settings (read at every tick, from the environment of the code server):
GENESIS_STALE_BACKFILL_BATCH (default 10), GENESIS_OUTBOX_RETENTION_HOURS (default 168),
GENESIS_INBOX_RETENTION_DAYS (default 30) and GENESIS_ARCHIVE_AFTER_DAYS (default 30).
"""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from genesis_pipeline.defs.automation.jobs import HOLDING, genesis_session_job, stages_run
from genesis_pipeline.defs.automation.maintenance_jobs import (
    genesis_consistency_audit_job,
    genesis_outbox_retention_job,
    genesis_session_archive_job,
)
from genesis_pipeline.defs.resources import GenesisStoreResource
from genesis_pipeline.defs.stages.definitions import STAGE_ASSETS
from genesis_pipeline.defs.stages.partitions import GENESIS_SESSION_PARTITIONS
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service.planner import (
    BACKFILL_TAG,
    SESSION_TAG,
    STALE_KEY_TAG,
    TOKEN_CAP_TAG,
)
from genesis_pipeline.service.stale_prompts import (
    STALE_PROMPT_BACKFILL,
    StaleRun,
    plan_stale_runs,
)
from genesis_pipeline.settings import GenesisSettings
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.maintenance import Maintenance

# Sessions looked up in the instance per query: well below SQLite's bind-parameter limit.
LOOKUP_CHUNK = 100


def current_prompt_versions() -> dict[Stage, str]:
    """Each stage's prompt version: its asset's code_version, as Dagster compares it."""
    return {
        Stage(key.path[-1]): version
        for asset in STAGE_ASSETS
        for key, version in asset.code_versions_by_key.items()
        if version is not None
    }


@dg.schedule(
    name="genesis_stale_prompt_schedule",
    # Every minute: the queue never runs dry of backfill runs, so the refresh goes as fast as
    # the run queue's `genesis/backfill` limit lets it (a large fleet in hours, not weeks).
    cron_schedule="* * * * *",
    execution_timezone="UTC",
    job=genesis_session_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "Backfill after a prompt change (a stage's code_version): re-runs, from the first stage "
        "whose newest passed version was generated with an older prompt, active and completed "
        "sessions not archived, topping up to GENESIS_STALE_BACKFILL_BATCH (10) backfill runs "
        "queued or running every minute, at a priority below every writer's run; the run "
        "queue's `genesis/backfill` limit sets the pace. Once per (session, stage, prompt "
        "version). Off by default: it regenerates writers' work and spends LLM tokens."
    ),
)
def genesis_stale_prompt_schedule(
    context: dg.ScheduleEvaluationContext, genesis_store: GenesisStoreResource
) -> list[dg.RunRequest] | dg.SkipReason:
    settings = GenesisSettings()
    runs = stale_prompt_runs(
        context.instance,
        genesis_store.store,
        current_prompt_versions(),
        batch_size=settings.stale_backfill_batch,
        default_budget=settings.session_token_budget,
    )
    if not runs:
        return dg.SkipReason("no session is stale, or the backfill's share of the queue is full")
    # Whatever the sessions' budgets leave, one refresh spends no more than this.
    cap = {TOKEN_CAP_TAG: str(settings.stale_backfill_run_tokens)}
    return [
        stages_run(run.session_id, run.stages, run_key=run.run_key, tags=run.tags | cap)
        for run in runs
    ]


def stale_prompt_runs(
    instance: dg.DagsterInstance,
    store: GenesisStore,
    prompt_versions: dict[Stage, str],
    *,
    batch_size: int,
    default_budget: int,
) -> list[StaleRun]:
    """Up to `batch_size` minus the backfill runs still queued or running: sessions with no
    run in flight (it may be regenerating them already) whose refresh was never requested."""
    queued = instance.get_runs_count(
        dg.RunsFilter(tags={BACKFILL_TAG: STALE_PROMPT_BACKFILL}, statuses=HOLDING)
    )
    budget = batch_size - queued
    if budget <= 0:
        return []
    stale = Maintenance(store).newest_passed_to_review(
        prompt_versions, default_budget=default_budget
    )
    planned = plan_stale_runs(stale, prompt_versions)
    chosen: list[StaleRun] = []
    for start in range(0, len(planned), LOOKUP_CHUNK):
        chunk = planned[start : start + LOOKUP_CHUNK]
        busy = _tag_values(instance, SESSION_TAG, [run.session_id for run in chunk], HOLDING)
        requested = _tag_values(instance, STALE_KEY_TAG, [run.run_key for run in chunk])
        for run in chunk:
            if run.session_id in busy or run.run_key in requested:
                continue
            if not instance.has_dynamic_partition(GENESIS_SESSION_PARTITIONS, run.session_id):
                continue  # archived, or deleted in the UI: a schedule cannot add it back
            chosen.append(run)
            if len(chosen) == budget:
                return chosen
    return chosen


def _tag_values(
    instance: dg.DagsterInstance,
    key: str,
    values: Sequence[str],
    statuses: Sequence[dg.DagsterRunStatus] | None = None,
) -> set[str]:
    """Which of `values` a run (in `statuses`, or any) carries as its `key` tag."""
    filters = dg.RunsFilter(tags={key: list(values)}, statuses=list(statuses or []) or None)
    runs = instance.get_runs(filters)
    return {run.tags[key] for run in runs}


genesis_consistency_audit_schedule = dg.ScheduleDefinition(
    name="genesis_consistency_audit_schedule",
    cron_schedule="0 3 * * *",
    execution_timezone="UTC",
    job=genesis_consistency_audit_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Nightly (03:00 UTC) consistency audit of completed sessions, 5,000 a night from where "
        "the last night stopped: reports each final version that passed its consistency gate "
        "when stored but fails today's rules, once, as `genesis.audit.regression_found`. On by "
        "default: it changes no writer's work."
    ),
)


def _retention_config(context: dg.ScheduleEvaluationContext) -> dict[str, Any]:
    settings = GenesisSettings()
    return {
        "ops": {
            "delete_sent_outbox_rows": {
                "config": {"older_than_hours": settings.outbox_retention_hours}
            },
            "delete_old_inbox_rows": {"config": {"older_than_days": settings.inbox_retention_days}},
        }
    }


genesis_outbox_retention_schedule = dg.ScheduleDefinition(
    name="genesis_outbox_retention_schedule",
    cron_schedule="30 4 * * *",
    execution_timezone="UTC",
    job=genesis_outbox_retention_job,
    run_config_fn=_retention_config,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Daily (04:30 UTC): deletes outbox rows the relay published more than "
        "GENESIS_OUTBOX_RETENTION_HOURS (168) ago, 10,000 per transaction, and inbox rows "
        "received more than GENESIS_INBOX_RETENTION_DAYS (30) ago; unpublished rows are never "
        "deleted. On by default: published events live on `genesis.events`."
    ),
)


def _archive_config(context: dg.ScheduleEvaluationContext) -> dict[str, Any]:
    days = GenesisSettings().archive_after_days
    return {"ops": {"archive_finished_sessions": {"config": {"older_than_days": days}}}}


genesis_session_archive_schedule = dg.ScheduleDefinition(
    name="genesis_session_archive_schedule",
    cron_schedule="15 * * * *",
    execution_timezone="UTC",
    job=genesis_session_archive_job,
    run_config_fn=_archive_config,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Hourly: archives completed and cancelled sessions untouched for "
        "GENESIS_ARCHIVE_AFTER_DAYS (30), at most 10,000 a run: their partitions are deleted "
        "and `genesis.session.archived` published. On by default: it keeps the number of "
        "partitions bounded by the sessions in use; the store keeps every session's work."
    ),
)
