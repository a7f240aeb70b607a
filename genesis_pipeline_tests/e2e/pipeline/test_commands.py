"""genesis.commands through the real sensor and broker: sessions, duplicates, lifecycle."""

import dagster as dg
import pytest

from genesis_pipeline.defs.automation.kafka_sensors import genesis_commands_sensor
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline

FULL_CHAIN = [
    "session.created",
    *[
        event
        for _ in range(6)
        for event in (
            "stage.started",
            "agent.task.requested",
            "agent.task.completed",
            "content.generated",
            "quality.check.completed",
            "consistency.check.requested",
            "consistency.check.completed",
            "stage.completed",
            "content.approved",
        )
    ],
    "session.completed",
]


def test_a_session_requested_over_kafka_runs_to_completion(pipeline: Pipeline) -> None:
    request = pipeline.command("requested", "moon-harbor-01", premise=PREMISE, priority=3)
    pipeline.settle()

    assert len(pipeline.runs) == 1
    _, run_request, outcome = pipeline.runs[0]
    assert outcome.success
    assert run_request.partition_key == "moon-harbor-01"
    assert run_request.tags["dagster/priority"] == "3"
    assert run_request.tags["genesis/session"] == "moon-harbor-01"
    assert pipeline.event_types("moon-harbor-01") == FULL_CHAIN
    events = pipeline.events("moon-harbor-01")
    assert len({e.event_id for e in events}) == len(events)
    assert {e.correlation_id for e in events} == {request["correlation_id"]}
    assert events[0].causation_id == request["event_id"]
    assert pipeline.store.session("moon-harbor-01").status is SessionStatus.COMPLETED


def test_the_same_command_three_times_is_one_session_and_one_run(pipeline: Pipeline) -> None:
    request = pipeline.command("requested", "moon-harbor-02", premise=PREMISE)
    pipeline.send(Topic.COMMANDS, request, request)
    pipeline.settle()

    assert len(pipeline.runs) == 1
    assert pipeline.event_types("moon-harbor-02").count("session.created") == 1
    assert pipeline.instance.get_dynamic_partitions("genesis_session") == ["moon-harbor-02"]
    assert pipeline.dlq() == []


def test_a_failed_tick_advances_nothing_and_the_retry_takes_effect_once(
    pipeline: Pipeline,
) -> None:
    pipeline.command("requested", "moon-harbor-03", premise=PREMISE)
    # The first tick's result is lost (as when the daemon dies before saving it): no cursor,
    # no runs. The store already holds the session; the next tick must still start its run.
    lost = pipeline.tick(genesis_commands_sensor, execute=False)
    assert isinstance(lost, dg.SensorResult) and len(lost.run_requests) == 1
    pipeline.cursors.clear()
    pipeline.used_keys.clear()

    retried = pipeline.tick(genesis_commands_sensor)
    assert [r.run_key for r in retried.run_requests] == [r.run_key for r in lost.run_requests]
    assert len(pipeline.runs) == 1
    assert pipeline.event_types("moon-harbor-03").count("session.created") == 1


def test_the_sensors_stand_aside_when_the_consumer_owns_the_topics(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    from genesis_pipeline.defs.automation.kafka_sensors import genesis_feedback_sensor

    pipeline.command("requested", "moon-harbor-09", premise=PREMISE)
    monkeypatch.setenv("GENESIS_KAFKA_ENTRY", "consumer")
    for sensor in (genesis_commands_sensor, genesis_feedback_sensor):
        skipped = pipeline.tick(sensor)
        assert isinstance(skipped, dg.SkipReason)
        assert "genesis consume" in (skipped.skip_message or "")
    assert pipeline.cursors.get(genesis_commands_sensor.name) is None  # nothing read

    monkeypatch.setenv("GENESIS_KAFKA_ENTRY", "sensors")
    pipeline.settle()
    assert len(pipeline.runs) == 1
