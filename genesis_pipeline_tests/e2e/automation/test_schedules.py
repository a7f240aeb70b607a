from typing import Any

import dagster as dg
import pytest

from genesis_pipeline.definitions import defs
from genesis_pipeline.defs.automation.failures import stage_failures
from genesis_pipeline.defs.automation.schedules import (
    current_prompt_versions,
    genesis_consistency_audit_schedule,
    genesis_outbox_retention_schedule,
    genesis_session_archive_schedule,
    genesis_stale_prompt_schedule,
)
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.store.tables import artifact_versions
from genesis_pipeline_tests.e2e.automation.conftest import set_prompt_version

# A run that writes the bible exports it too.
ALL_STAGES = [dg.AssetKey(stage.value) for stage in STAGE_ORDER] + [dg.AssetKey("bible_export")]


def tick(instance: dg.DagsterInstance, resources: dict[str, Any]) -> list[dg.RunRequest]:
    # `with`: the context closes the instance it opens from the reference, which otherwise
    # stays registered as the current defs-state storage after its directory is gone.
    with dg.build_schedule_context(
        instance=instance, resources={"genesis_store": resources["genesis_store"]}
    ) as context:
        result = genesis_stale_prompt_schedule(context)
    if isinstance(result, dg.SkipReason):
        return []
    assert isinstance(result, list)
    return result


@dg.op
def stand_in() -> None:
    """Takes the place of a run the daemon launched for a request."""


@dg.job
def stand_in_job() -> None:
    stand_in()


def test_the_prompt_versions_are_the_stage_assets_code_versions():
    versions = current_prompt_versions()
    assert list(versions) == list(STAGE_ORDER)
    assert versions[Stage.CONCEPT] == "concept-v2"
    assert versions[Stage.PLOT_OUTLINE] == "plot-outline-v2"


def test_stale_sessions_get_low_priority_runs_from_their_first_stale_stage(
    instance, resources, store, completed_session, monkeypatch
):
    for session_id in ("alpha-01", "beta-01", "fresh-01"):
        completed_session(session_id)
    set_prompt_version(store, "alpha-01", Stage.PLOT_OUTLINE, "plot-outline-v0")
    set_prompt_version(store, "alpha-01", Stage.WORLDVIEW, "worldview-v0")
    set_prompt_version(store, "beta-01", Stage.CONCEPT, "concept-v0")

    alpha, beta = tick(instance, resources)

    assert alpha.partition_key == "alpha-01"
    assert alpha.asset_selection == ALL_STAGES[2:]  # worldview and everything downstream
    assert alpha.run_key == "stale-prompt:alpha-01:worldview:worldview-v2"
    assert alpha.tags["genesis/session"] == "alpha-01"
    assert int(alpha.tags["dagster/priority"]) < -10  # below every session's own priority
    assert alpha.tags["genesis/backfill"] == "stale_prompt"
    assert alpha.tags["genesis/stale_key"] == alpha.run_key
    assert alpha.tags["genesis/token_cap"] == "100000"  # GENESIS_STALE_BACKFILL_RUN_TOKENS
    assert beta.partition_key == "beta-01"
    assert beta.asset_selection == ALL_STAGES
    assert beta.run_key == "stale-prompt:beta-01:concept:concept-v2"
    assert beta.tags["genesis/session"] == "beta-01"

    # Nothing launched yet: the next tick asks for the same runs under the same keys.
    assert [r.run_key for r in tick(instance, resources)] == [alpha.run_key, beta.run_key]

    monkeypatch.setenv("GENESIS_STALE_BACKFILL_BATCH", "1")
    [only] = tick(instance, resources)
    assert only.run_key == alpha.run_key


def test_fresh_sessions_get_no_run(instance, resources, completed_session):
    completed_session("fresh-01")
    with dg.build_schedule_context(
        instance=instance, resources={"genesis_store": resources["genesis_store"]}
    ) as context:
        assert isinstance(genesis_stale_prompt_schedule(context), dg.SkipReason)


def test_a_refresh_is_requested_once_and_queued_backfills_use_up_the_batch(
    instance, resources, store, completed_session, monkeypatch
):
    for session_id in ("alpha-01", "beta-01", "gamma-01"):
        completed_session(session_id)
        set_prompt_version(store, session_id, Stage.STORY, "story-v0")
    monkeypatch.setenv("GENESIS_STALE_BACKFILL_BATCH", "2")
    first = tick(instance, resources)
    assert [r.partition_key for r in first] == ["alpha-01", "beta-01"]

    # alpha's refresh ran (and, say, failed to change it): it is not requested again.
    stand_in_job.execute_in_process(instance=instance, tags=first[0].tags)
    # beta's refresh has not finished: it counts against the batch, and beta is busy.
    instance.create_run_for_job(
        stand_in_job, tags=first[1].tags, status=dg.DagsterRunStatus.NOT_STARTED
    )
    [second] = tick(instance, resources)
    assert second.partition_key == "gamma-01"

    instance.create_run_for_job(stand_in_job, tags=second.tags, status=dg.DagsterRunStatus.STARTED)
    assert tick(instance, resources) == []  # two backfill runs in flight: the batch is full


def test_a_session_with_a_writers_run_in_flight_waits(
    instance, resources, store, completed_session
):
    completed_session("alpha-01")
    set_prompt_version(store, "alpha-01", Stage.CONCEPT, "concept-v0")
    instance.create_run_for_job(
        stand_in_job, tags={"genesis/session": "alpha-01"}, status=dg.DagsterRunStatus.STARTED
    )
    assert tick(instance, resources) == []


@pytest.mark.parametrize(
    "status", [SessionStatus.PAUSED, SessionStatus.CANCELLED, SessionStatus.NEEDS_ATTENTION]
)
def test_paused_cancelled_and_failed_sessions_are_left_alone(
    instance, resources, store, completed_session, status
):
    completed_session("alpha-01")
    set_prompt_version(store, "alpha-01", Stage.CONCEPT, "concept-v0")
    with store.unit_of_work() as uow:
        uow.sessions.set_status("alpha-01", status)
        uow.commit()
    assert tick(instance, resources) == []


def test_a_session_without_its_partition_is_left_alone(
    instance, resources, store, completed_session
):
    """Archived, or deleted in the UI: a schedule cannot add the partition back, so it skips."""
    completed_session("alpha-01")
    set_prompt_version(store, "alpha-01", Stage.CONCEPT, "concept-v0")
    instance.delete_dynamic_partition("genesis_session", "alpha-01")
    assert tick(instance, resources) == []


def test_a_refresh_stores_new_versions_with_the_new_prompt(
    instance, resources, store, completed_session
):
    """The store's basis_key holds no prompt version; the refresh still gets new versions,
    because a re-run on an unchanged basis is a new attempt, and the attempt is in the key."""
    completed_session("alpha-01")
    set_prompt_version(store, "alpha-01", Stage.CONCEPT, "concept-v0")
    [request] = tick(instance, resources)

    result = dg.materialize(
        GENESIS_ASSETS,
        selection=request.asset_selection,
        partition_key=request.partition_key,
        instance=instance,
        resources=resources,
        tags=request.tags,
    )

    assert result.success
    current = current_prompt_versions()
    for stage in STAGE_ORDER:
        approved = store.current_approved("alpha-01", stage)
        assert approved is not None
        assert (approved.version, approved.prompt_version) == (2, current[stage])
    assert store.session("alpha-01").status is SessionStatus.COMPLETED
    assert store.bible_document("alpha-01").versions == dict.fromkeys(STAGE_ORDER, 2)
    assert tick(instance, resources) == []  # fresh now


def test_a_refresh_stops_at_its_runs_token_cap_and_spent_sessions_get_none(
    instance, resources, store, completed_session, monkeypatch
):
    for session_id in ("alpha-01", "beta-01"):
        completed_session(session_id)
        set_prompt_version(store, session_id, Stage.CONCEPT, "concept-v0")
    # beta has spent its whole budget: a refresh would stop at its first call.
    with store.unit_of_work() as uow:
        uow.sessions.set_budget("beta-01", store.session("beta-01").tokens_spent)
        uow.commit()
    # Room for the concept and the story of alpha, not for its worldview.
    spent = [row.spending.tokens for row in store.stage_rows("alpha-01")]
    monkeypatch.setenv("GENESIS_STALE_BACKFILL_RUN_TOKENS", str(sum(spent[:2]) + 50))

    [request] = tick(instance, resources)
    assert request.partition_key == "alpha-01"
    result = dg.materialize(
        GENESIS_ASSETS,
        selection=request.asset_selection,
        partition_key=request.partition_key,
        instance=instance,
        resources=resources,
        tags=request.tags,
        raise_on_error=False,
    )

    assert not result.success
    [failure] = stage_failures(result.all_events)
    assert (failure.stage, failure.error_class) == (Stage.WORLDVIEW, "budget_exhausted")
    assert "token cap of this run exhausted" in failure.message
    assert "GENESIS_STALE_BACKFILL_RUN_TOKENS" in failure.message
    assert [row.versions for row in store.stage_rows("alpha-01")][:3] == [2, 2, 1]


def test_a_session_waiting_for_the_writer_is_not_refreshed(
    instance, resources, store, completed_session
):
    completed_session("alpha-01")
    set_prompt_version(store, "alpha-01", Stage.CHARACTERS, "characters-v0")
    with store.read() as r:
        story = r.artifacts.current_passed("alpha-01", Stage.STORY)
    assert story is not None
    with store.engine.begin() as conn:  # as if the writer had not accepted the story yet
        conn.execute(
            artifact_versions.update()
            .where(artifact_versions.c.id == story.id)
            .values(approved_by=None)
        )
    assert tick(instance, resources) == []


def test_the_audit_and_retention_schedules_request_their_jobs(monkeypatch):
    context = dg.build_schedule_context()
    [audit] = genesis_consistency_audit_schedule.evaluate_tick(context).run_requests or []
    assert audit.run_config == {}

    [retention] = genesis_outbox_retention_schedule.evaluate_tick(context).run_requests or []
    ops = retention.run_config["ops"]
    assert ops["delete_sent_outbox_rows"]["config"] == {"older_than_hours": 168}
    assert ops["delete_old_inbox_rows"]["config"] == {"older_than_days": 30}
    monkeypatch.setenv("GENESIS_OUTBOX_RETENTION_HOURS", "24")
    [retention] = genesis_outbox_retention_schedule.evaluate_tick(context).run_requests or []
    assert retention.run_config["ops"]["delete_sent_outbox_rows"]["config"] == {
        "older_than_hours": 24
    }

    monkeypatch.setenv("GENESIS_ARCHIVE_AFTER_DAYS", "90")
    [archive] = genesis_session_archive_schedule.evaluate_tick(context).run_requests or []
    assert archive.run_config["ops"]["archive_finished_sessions"]["config"] == {
        "older_than_days": 90
    }


def test_the_schedules_are_defined_with_their_jobs_and_default_status():
    repository = defs.get_repository_def()
    schedules = {s.name: s for s in repository.schedule_defs}
    stale = schedules["genesis_stale_prompt_schedule"]
    audit = schedules["genesis_consistency_audit_schedule"]
    retention = schedules["genesis_outbox_retention_schedule"]
    archive = schedules["genesis_session_archive_schedule"]
    assert stale.default_status is dg.DefaultScheduleStatus.STOPPED
    assert audit.default_status is dg.DefaultScheduleStatus.RUNNING
    assert retention.default_status is dg.DefaultScheduleStatus.RUNNING
    assert archive.default_status is dg.DefaultScheduleStatus.RUNNING
    assert (stale.job_name, audit.job_name, retention.job_name, archive.job_name) == (
        "genesis_session_job",
        "genesis_consistency_audit_job",
        "genesis_outbox_retention_job",
        "genesis_session_archive_job",
    )
    assert all(s.description for s in schedules.values())
    jobs = ("genesis_consistency_audit_job", "genesis_outbox_retention_job")
    for name in (*jobs, "genesis_session_archive_job"):
        assert repository.get_job(name).description
