"""Pause, resume and cancel over genesis.commands."""

import dagster as dg
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.utils import make_new_run_id

from genesis_pipeline.defs.automation.kafka_sensors import genesis_commands_sensor
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline


def queued_run(pipeline: Pipeline, session_id: str) -> str:
    """A run of the session waiting in the run queue."""
    location = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(module_name="genesis_pipeline.definitions")
    )
    run = dg.DagsterRun(
        job_name="genesis_session_job",
        run_id=make_new_run_id(),
        status=dg.DagsterRunStatus.QUEUED,
        tags={"dagster/partition": session_id, "genesis/session": session_id},
        remote_job_origin=RemoteJobOrigin(
            repository_origin=RemoteRepositoryOrigin(location, "__repository__"),
            job_name="genesis_session_job",
        ),
    )
    pipeline.instance.add_run(run)
    return run.run_id


def status_of(pipeline: Pipeline, run_id: str) -> dg.DagsterRunStatus:
    run = pipeline.instance.get_run_by_id(run_id)
    assert run is not None
    return run.status


def test_pause_stops_new_work_and_resume_carries_on(pipeline: Pipeline) -> None:
    sid = "moon-harbor-30"
    pipeline.command("requested", sid, premise=PREMISE)
    [start] = pipeline.tick(genesis_commands_sensor, execute=False).run_requests
    waiting = queued_run(pipeline, sid)

    pipeline.command("pause_requested", sid, reason="the writer is on holiday")
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.PAUSED
    assert status_of(pipeline, waiting) is dg.DagsterRunStatus.CANCELED
    paused = pipeline.events(sid)[-1]
    assert paused.event_type == "genesis.session.paused"
    assert paused.payload["reason"] == "the writer is on holiday"

    # A run that was already on its way generates nothing for a paused session ...
    assert not pipeline.execute("late", start).success
    assert [row.versions for row in pipeline.store.stage_rows(sid)] == [0] * 6
    # ... and a change asked for meanwhile waits for the resume.
    pipeline.feedback("character.requested", sid, role="rival", description="a harbor pilot")
    pipeline.settle()
    assert len(pipeline.runs) == 1
    assert "stage.failed" not in pipeline.event_types(sid)

    pipeline.command("resume_requested", sid)
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
    assert "session.resumed" in pipeline.event_types(sid)
    assert pipeline.runs[-1][2].success


def test_resume_runs_only_what_is_left(pipeline: Pipeline) -> None:
    sid = "moon-harbor-31"
    pipeline.command("requested", sid, premise=PREMISE)
    [start] = pipeline.tick(genesis_commands_sensor, execute=False).run_requests
    first_three = dg.RunRequest(
        run_key="by-hand",
        partition_key=sid,
        asset_selection=[dg.AssetKey(s) for s in ("concept", "story", "worldview")],
    )
    assert pipeline.execute("ui", first_three).success
    del start
    pipeline.command("pause_requested", sid)
    pipeline.command("resume_requested", sid)
    pipeline.settle()

    _, resumed, outcome = pipeline.runs[-1]
    assert outcome.success
    assert [k.path[-1] for k in resumed.asset_selection or []] == [
        "characters",
        "plot_outline",
        "story_bible",
        "bible_export",
    ]
    assert pipeline.store.bible_document(sid).versions[Stage.CONCEPT] == 1


def test_cancel_terminates_the_session(pipeline: Pipeline) -> None:
    sid = "moon-harbor-32"
    pipeline.command("requested", sid, premise=PREMISE)
    [start] = pipeline.tick(genesis_commands_sensor, execute=False).run_requests
    waiting = queued_run(pipeline, sid)
    pipeline.feedback(
        "feedback.submitted", sid, stage="concept", action="regenerate"
    )  # pending when the cancel arrives

    pipeline.command("cancel_requested", sid, reason="abandoned")
    pipeline.tick(genesis_commands_sensor)
    assert pipeline.store.session(sid).status is SessionStatus.CANCELLED
    assert status_of(pipeline, waiting) is dg.DagsterRunStatus.CANCELED
    assert not pipeline.execute("late", start).success
    pipeline.settle()

    types = pipeline.event_types(sid)
    assert types[-1] == "session.cancelled" or "session.cancelled" in types
    assert "stage.failed" not in types
    with pipeline.store.read() as r:
        assert r.revisions.pending_for_session(sid) == []
    assert [row.versions for row in pipeline.store.stage_rows(sid)] == [0] * 6
    pipeline.command("resume_requested", sid)
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.CANCELLED
