"""Everything invalid goes to genesis.dlq with its reason, and so does a message whose handler
keeps raising; the valid messages after it still take effect."""

import json

import pytest

from genesis_pipeline.defs.automation.kafka_sensors import genesis_commands_sensor
from genesis_pipeline.messaging.codec import MAX_MESSAGE_BYTES
from genesis_pipeline.messaging.dlq import DETAIL_HEADER, REASON_HEADER
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline, envelope
from genesis_pipeline_tests.support.store_rows import corrupt_session


def reasons(pipeline: Pipeline) -> list[tuple[str, dict[str, bytes]]]:
    return [(dict(r.headers)[REASON_HEADER].decode(), dict(r.headers)) for r in pipeline.dlq()]


def test_invalid_commands_go_to_the_dlq_and_consumption_goes_on(pipeline: Pipeline) -> None:
    good = envelope("genesis.session.requested", "moon-harbor-10", {"premise": PREMISE})
    oversize = envelope("genesis.session.requested", "big-one", {"premise": "x" * 100})
    oversize["padding"] = "y" * MAX_MESSAGE_BYTES  # unknown fields are ignored, size is not
    newer = envelope("genesis.session.requested", "newer-one", {"premise": PREMISE})
    newer["event_version"] = 7
    pipeline.send(
        Topic.COMMANDS,
        b"{not json",
        b"[1, 2]",
        envelope("genesis.session.requested", "Bad Id!", {"premise": PREMISE}),
        envelope("genesis.session.requested", "no-premise", {"premise": ""}),
        envelope("genesis.session.exploded", "moon-harbor-11", {}),
        envelope("genesis.feedback.submitted", "moon-harbor-11", {}),  # wrong topic
        envelope("genesis.session.pause_requested", "never-was", {}),
        oversize,
        newer,
        good,
        envelope("genesis.session.requested", "moon-harbor-10", {"premise": PREMISE}),
        envelope("genesis.session.resume_requested", "moon-harbor-10", {}),  # not paused
        key=b"k",
    )
    pipeline.settle()

    found = reasons(pipeline)
    assert [reason for reason, _ in found] == [
        "bad_json",
        "schema_violation",
        "schema_violation",
        "schema_violation",
        "unknown_event_type",
        "unknown_event_type",
        "unknown_session",
        "oversize",
        "unsupported_version",
        "not_allowed_in_state",  # a second request for an existing session
        "not_allowed_in_state",  # resume of a session that is not paused
    ]
    headers = found[2][1]
    assert b"session_id" in headers[DETAIL_HEADER]
    assert headers["genesis.dlq.topic"].decode() == pipeline.kafka.topic(Topic.COMMANDS)
    assert int(headers["genesis.dlq.offset"]) == 2
    first = pipeline.dlq()[0]
    assert first.value == b"{not json" and first.key == b"k"  # kept as it arrived
    assert pipeline.store.session("moon-harbor-10").status == "completed"
    assert len(pipeline.runs) == 1


def test_invalid_feedback_goes_to_the_dlq(pipeline: Pipeline) -> None:
    pipeline.command("requested", "moon-harbor-12", premise=PREMISE)
    pipeline.settle()
    pipeline.command("cancel_requested", "moon-harbor-13")  # unknown session
    pipeline.feedback("feedback.submitted", "moon-harbor-12", stage="epilogue", action="accept")
    pipeline.feedback("feedback.submitted", "moon-harbor-12", stage="story", action="modify")
    pipeline.feedback("feedback.submitted", "ghost-session", stage="story", action="accept")
    pipeline.feedback("worldview.element.requested", "moon-harbor-12", kind="moon", description="x")
    pipeline.settle()

    assert [reason for reason, _ in reasons(pipeline)] == [
        "unknown_session",
        "unknown_stage",
        "schema_violation",  # modify without instructions
        "unknown_session",
        "schema_violation",
    ]
    detail = dict(pipeline.dlq()[2].headers)[DETAIL_HEADER].decode()
    assert "instructions are required" in detail


def test_feedback_on_a_cancelled_session_is_not_allowed(pipeline: Pipeline) -> None:
    pipeline.command("requested", "moon-harbor-14", premise=PREMISE)
    pipeline.command("cancel_requested", "moon-harbor-14", reason="the writer changed their mind")
    pipeline.settle()
    pipeline.feedback(
        "feedback.submitted", "moon-harbor-14", stage="story", action="modify", instructions="x"
    )
    pipeline.settle()

    [(reason, headers)] = reasons(pipeline)
    assert reason == "not_allowed_in_state"
    assert b"cancelled" in headers[DETAIL_HEADER]
    assert json.loads(pipeline.dlq()[0].value or b"{}")["session_id"] == "moon-harbor-14"


def test_a_message_whose_handler_always_raises_cannot_stop_the_topic(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESIS_INBOUND_MAX_ATTEMPTS", "2")
    corrupt_session(pipeline.store, "broken-2")  # every handler reading it raises ValueError
    pipeline.send(
        Topic.COMMANDS,
        envelope("genesis.session.pause_requested", "broken-2", {}),
        envelope("genesis.session.requested", "moon-harbor-15", {"premise": PREMISE}),
        key=b"one-partition",
    )
    pipeline.tick(genesis_commands_sensor)
    assert pipeline.dlq() == [] and pipeline.runs == []  # held, to be tried again

    pipeline.settle()
    [(reason, headers)] = reasons(pipeline)
    assert reason == "handler_error"
    assert headers[DETAIL_HEADER].decode().startswith("2 attempts: ValueError")
    assert pipeline.store.session("moon-harbor-15").status == "completed"
