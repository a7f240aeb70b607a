"""Finished sessions lose their partitions (the archive job) and come back when the writer asks
for a change; a session whose partition is gone, archived or deleted in the UI, stops nothing."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import sqlalchemy as sa

from genesis_pipeline.defs.automation.maintenance_jobs import genesis_session_archive_job
from genesis_pipeline.defs.automation.sensors import genesis_revision_sensor
from genesis_pipeline.defs.checks import gate_specs
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import FeedbackAction, FeedbackSubmitted, Inbound
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.service import handlers
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline.store.tables import sessions
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline, make_pipeline

PARTITIONS = "genesis_session"
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=DATABASES)
def pipeline(
    request: pytest.FixtureRequest,
    instance: dg.DagsterInstance,
    kafka: KafkaConfig,
    tmp_path: Path,
) -> Pipeline:
    """The sensors' driver on a genesis store in SQLite, then in PostgreSQL."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    return make_pipeline(instance, kafka, tmp_path, database_url=url)


@pytest.fixture
def sqlite_pipeline(instance: dg.DagsterInstance, kafka: KafkaConfig, tmp_path: Path) -> Pipeline:
    """On SQLite only, for what the sensors do: the store's part of reviving a session is
    tested on both databases in integration/store/test_session_archive.py."""
    return make_pipeline(instance, kafka, tmp_path)


def completed(pipeline: Pipeline, session_id: str, *, days_ago: int = 0) -> None:
    pipeline.command("requested", session_id, premise=PREMISE)
    pipeline.settle()
    assert pipeline.store.session(session_id).status is SessionStatus.COMPLETED
    with pipeline.store.engine.begin() as conn:
        conn.execute(
            sa.update(sessions)
            .where(sessions.c.session_id == session_id)
            .values(updated_at=utcnow() - timedelta(days=days_ago))
        )


def archive(pipeline: Pipeline, **config: Any) -> int:
    result = genesis_session_archive_job.execute_in_process(
        instance=pipeline.instance,
        resources={"genesis_store": pipeline.resources["genesis_store"]},
        run_config={"ops": {"archive_finished_sessions": {"config": config}}},
    )
    assert result.success
    [output] = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = output.event_specific_data.metadata  # type: ignore[union-attr]
    return int(metadata["archived"].value)


def dagster_history(pipeline: Pipeline, stage: Stage) -> set[str]:
    """The sessions with a materialization or a check execution of `stage` in Dagster."""
    checks = [spec.key for spec in gate_specs(stage)]
    infos = pipeline.instance.event_log_storage.get_asset_check_partition_info(checks)
    checked = {info.partition_key for info in infos if info.partition_key}
    return pipeline.instance.get_materialized_partitions(dg.AssetKey(stage.value)) | checked


def has_partition(pipeline: Pipeline, session_id: str) -> bool:
    return pipeline.instance.has_dynamic_partition(PARTITIONS, session_id)


def test_the_archive_job_retires_finished_sessions_in_batches(pipeline: Pipeline) -> None:
    old = ["moon-harbor-40", "moon-harbor-41", "moon-harbor-42"]
    for sid in old:
        completed(pipeline, sid, days_ago=45)
    completed(pipeline, "moon-harbor-43", days_ago=3)

    assert archive(pipeline, older_than_days=30, batch_size=1, max_sessions=2) == 2
    assert [has_partition(pipeline, sid) for sid in old] == [False, False, True]
    assert archive(pipeline, older_than_days=30, batch_size=1) == 1  # the next run goes on
    assert archive(pipeline, older_than_days=30) == 0
    assert not any(has_partition(pipeline, sid) for sid in old)
    assert has_partition(pipeline, "moon-harbor-43")
    # Dagster's history of the archived partitions is gone too; the live session keeps its own.
    for stage in Stage:
        assert dagster_history(pipeline, stage) == {"moon-harbor-43"}

    for sid in old:
        session = pipeline.store.session(sid)
        assert session.status is SessionStatus.COMPLETED and session.archived_at is not None
        assert pipeline.event_types(sid)[-1] == "session.archived"
        assert pipeline.store.bible_document(sid).session_id == sid  # the store keeps the work
    assert pipeline.store.session("moon-harbor-43").archived_at is None


def test_feedback_revives_an_archived_session(sqlite_pipeline: Pipeline) -> None:
    pipeline = sqlite_pipeline
    sid = "moon-harbor-44"
    completed(pipeline, sid, days_ago=45)
    assert archive(pipeline, older_than_days=30) == 1
    runs_before = len(pipeline.runs)

    pipeline.feedback(
        "character.requested", sid, role="rival", description="a harbour pilot who lies"
    )
    pipeline.settle()

    assert has_partition(pipeline, sid)
    # Dagster shows what ran since: the characters and after, not the concept (in the store).
    assert sid in dagster_history(pipeline, Stage.CHARACTERS)
    assert sid not in dagster_history(pipeline, Stage.CONCEPT)
    assert pipeline.store.current_approved(sid, Stage.CONCEPT) is not None
    session = pipeline.store.session(sid)
    assert (session.status, session.archived_at) == (SessionStatus.COMPLETED, None)
    assert len(pipeline.runs) > runs_before and all(r.success for _, _, r in pipeline.runs)
    types = pipeline.event_types(sid)
    archived = types.index("session.archived")
    assert types[archived + 1 : archived + 3] == ["session.revived", "stage.rewrite_requested"]
    assert types[-1] == "session.completed"
    assert pipeline.dlq() == []


def test_a_partition_deleted_in_the_ui_stops_no_sensor(sqlite_pipeline: Pipeline) -> None:
    pipeline = sqlite_pipeline
    sid, other = "moon-harbor-45", "moon-harbor-46"
    completed(pipeline, sid)
    pipeline.instance.delete_dynamic_partition(PARTITIONS, sid)

    # Feedback through Kafka: the feedback sensor adds the partition back before its run.
    pipeline.feedback("feedback.submitted", sid, stage="story", action="regenerate")
    pipeline.command("requested", other, premise=PREMISE)
    pipeline.settle()
    assert has_partition(pipeline, sid)
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
    assert pipeline.store.session(other).status is SessionStatus.COMPLETED

    # A revision request stored while the partition is gone: the revision sensor adds it back.
    pipeline.instance.delete_dynamic_partition(PARTITIONS, sid)
    message = Inbound(
        event_type=EventType.FEEDBACK_SUBMITTED,
        envelope=new_event(
            EventType.FEEDBACK_SUBMITTED, session_id=sid, correlation_id="c", payload={}
        ),
        payload=FeedbackSubmitted(stage=Stage.WORLDVIEW, action=FeedbackAction.REGENERATE),
    )
    handlers.feedback(pipeline.store.unit_of_work(), message)
    result = pipeline.tick(genesis_revision_sensor)
    assert isinstance(result, dg.SensorResult) and result.run_requests
    assert has_partition(pipeline, sid)
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
