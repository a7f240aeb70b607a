"""What ends `genesis session new --wait`: the session's own end, or its request's rejection."""

from genesis_pipeline.cli.session_watch import WatchEnd, rejection, session_end
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.messaging.codec import encode
from genesis_pipeline.messaging.dlq import DETAIL_HEADER, REASON_HEADER
from genesis_pipeline.messaging.kafka import Record


def event(event_type: EventType, **payload: object):
    return new_event(event_type, session_id="bells-01", correlation_id="corr-1", payload=payload)


def test_completion_ends_the_wait_with_the_bible() -> None:
    done = event(EventType.SESSION_COMPLETED, bible_location="file:///b/bells-01.json")
    assert session_end(done) == WatchEnd(0, "bible: file:///b/bells-01.json")


def test_a_failed_stage_or_a_cancel_ends_it_with_exit_1_and_what_to_do() -> None:
    failed = session_end(event(EventType.STAGE_FAILED, stage="worldview"))
    assert failed == WatchEnd(
        1,
        "session bells-01 needs attention: stage worldview failed; see `genesis status bells-01`",
    )
    cancelled = session_end(event(EventType.SESSION_CANCELLED, reason="changed my mind"))
    assert cancelled == WatchEnd(1, "session bells-01 was cancelled: changed my mind")
    assert session_end(event(EventType.SESSION_CANCELLED, reason=None)) == WatchEnd(
        1, "session bells-01 was cancelled"
    )


def test_progress_events_do_not_end_it() -> None:
    for event_type in (
        EventType.SESSION_CREATED,
        EventType.STAGE_COMPLETED,
        EventType.STAGE_STARTED,
    ):
        assert session_end(event(event_type, stage="concept")) is None


def dead_letter(value: bytes, reason: bytes, detail: bytes) -> Record:
    headers = ((REASON_HEADER, reason), (DETAIL_HEADER, detail))
    return Record("genesis.dlq", 0, 7, b"bells-01", value, 0, headers)


def test_only_our_own_rejected_request_ends_it() -> None:
    request = event(EventType.SESSION_REQUESTED, premise="A bell founder")
    ours = dead_letter(encode(request), b"not_allowed_in_state", b"session 'bells-01' exists")
    assert rejection(ours, request.event_id) == WatchEnd(
        1, "the pipeline rejected the request (not_allowed_in_state): session 'bells-01' exists"
    )
    assert rejection(ours, "another-request") is None
    assert rejection(dead_letter(b"{not json", b"invalid_json", b""), request.event_id) is None
