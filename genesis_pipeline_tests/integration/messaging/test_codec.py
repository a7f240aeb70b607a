"""The codec: what it accepts, what it rejects and why, and upcasting old versions."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import (
    COMMAND_TYPES,
    FEEDBACK_TYPES,
    CharacterRequested,
    FeedbackSubmitted,
    Rejected,
    RejectReason,
)
from genesis_pipeline.domain.session import ReviewMode, SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.messaging.codec import MAX_MESSAGE_BYTES, decode, encode


def raw(event_type: str, payload: dict[str, Any], **fields: Any) -> bytes:
    message = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "session_id": "moon-harbor-01",
        "correlation_id": "c-1",
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": payload,
        **fields,
    }
    return json.dumps(message).encode()


def rejection(value: bytes | None, accepted: frozenset = COMMAND_TYPES) -> Rejected:
    with pytest.raises(Rejected) as caught:
        decode(value, accepted=accepted)
    return caught.value


def test_a_session_request_decodes_with_defaults_and_ignores_unknown_fields() -> None:
    message = decode(
        raw("genesis.session.requested", {"premise": " a map ", "x": 1}, extra="ignored"),
        accepted=COMMAND_TYPES,
    )
    assert message.event_type is EventType.SESSION_REQUESTED
    assert isinstance(message.payload, SessionSpec)
    assert message.payload.premise == "a map"
    assert message.payload.review_mode is ReviewMode.AUTO and message.payload.max_attempts == 3


def test_feedback_and_requests_decode_to_their_models() -> None:
    feedback = decode(
        raw("genesis.feedback.submitted", {"stage": "story", "action": "regenerate"}),
        accepted=FEEDBACK_TYPES,
    )
    assert isinstance(feedback.payload, FeedbackSubmitted)
    assert feedback.payload.stage is Stage.STORY
    character = decode(
        raw("genesis.character.requested", {"role": "mentor", "description": "a cartographer"}),
        accepted=FEEDBACK_TYPES,
    )
    assert isinstance(character.payload, CharacterRequested)
    assert character.payload.instruction() == "Add a character (role: mentor): a cartographer"


def test_what_we_encode_we_decode() -> None:
    event = new_event(
        EventType.SESSION_REQUESTED,
        session_id="moon-harbor-01",
        correlation_id="c",
        payload={"premise": "a map", "priority": 4},
    )
    decoded = decode(encode(event), accepted=COMMAND_TYPES)
    assert decoded.envelope == event


@pytest.mark.parametrize(
    ("value", "reason", "detail"),
    [
        (None, RejectReason.BAD_JSON, "no value"),
        (b"\xff\xfe", RejectReason.BAD_JSON, "UTF-8"),
        (b"{", RejectReason.BAD_JSON, "JSON"),
        (b'"text"', RejectReason.SCHEMA_VIOLATION, "not a JSON object"),
        (b'{"event_type": "genesis.session.requested"}', RejectReason.SCHEMA_VIOLATION, "event_id"),
        (
            raw("genesis.session.requested", {"premise": "x"}, session_id="UPPER"),
            RejectReason.SCHEMA_VIOLATION,
            "session_id",
        ),
        (
            raw("genesis.session.requested", {"premise": "x"}, occurred_at="2026-01-01T00:00:00"),
            RejectReason.SCHEMA_VIOLATION,
            "occurred_at",
        ),
        (raw("genesis.session.requested", {}), RejectReason.SCHEMA_VIOLATION, "payload.premise"),
        (
            raw("genesis.session.requested", {"premise": "x", "priority": 11}),
            RejectReason.SCHEMA_VIOLATION,
            "payload.priority",
        ),
        (raw("genesis.session.started", {}), RejectReason.UNKNOWN_EVENT_TYPE, "not accepted"),
        (
            raw("genesis.session.requested", {"premise": "x"}, event_version=2),
            RejectReason.UNSUPPORTED_VERSION,
            "newer",
        ),
        (b" " * (MAX_MESSAGE_BYTES + 1), RejectReason.OVERSIZE, "limit"),
    ],
)
def test_rejections_say_why(value: bytes | None, reason: RejectReason, detail: str) -> None:
    rejected = rejection(value)
    assert rejected.reason is reason
    assert detail in rejected.detail


def test_feedback_rejections_name_the_stage_and_the_missing_instructions() -> None:
    unknown = rejection(
        raw("genesis.feedback.submitted", {"stage": "epilogue", "action": "accept"}),
        FEEDBACK_TYPES,
    )
    assert unknown.reason is RejectReason.UNKNOWN_STAGE and "epilogue" in unknown.detail
    modify = rejection(
        raw("genesis.feedback.submitted", {"stage": "story", "action": "modify"}), FEEDBACK_TYPES
    )
    assert modify.reason is RejectReason.SCHEMA_VIOLATION
    assert "instructions are required" in modify.detail
    # a command on the feedback topic is not accepted there
    assert rejection(raw("genesis.session.requested", {"premise": "x"}), FEEDBACK_TYPES).reason is (
        RejectReason.UNKNOWN_EVENT_TYPE
    )


def test_older_versions_are_upcast_step_by_step() -> None:
    # A payload that was renamed twice: v1 `text`, v2 `idea`, v3 (current) `premise`.
    upcasters = {
        ("genesis.session.requested", 1): lambda p: {"idea": p.pop("text"), **p},
        ("genesis.session.requested", 2): lambda p: {"premise": p.pop("idea"), **p},
    }
    versions = {"genesis.session.requested": 3}
    old = raw("genesis.session.requested", {"text": "a map", "priority": 2})
    message = decode(old, accepted=COMMAND_TYPES, upcasters=upcasters, current_versions=versions)
    assert isinstance(message.payload, SessionSpec)
    assert (message.payload.premise, message.payload.priority) == ("a map", 2)

    with pytest.raises(Rejected) as missing:
        decode(old, accepted=COMMAND_TYPES, upcasters={}, current_versions=versions)
    assert missing.value.reason is RejectReason.UNSUPPORTED_VERSION
