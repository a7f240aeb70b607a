"""Watch one requested session on Kafka until it ends: what `genesis session new --wait` does.

A session is recognised by its session id *and* the correlation id of the request that created
it (docs/CONTRACT.md §3: everything caused by one request carries it), so events of an earlier
session with a reused id, still on the topic, cannot end the wait. The request itself is
watched for on the DLQ: a request the pipeline rejects (a taken session id, say) produces no
events at all.
"""

from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass

from genesis_pipeline.cli.event_lines import parse_envelope
from genesis_pipeline.domain.events import Envelope, EventType
from genesis_pipeline.messaging.dlq import DETAIL_HEADER, REASON_HEADER
from genesis_pipeline.messaging.follow import follow
from genesis_pipeline.messaging.kafka import KafkaConfig, Record
from genesis_pipeline.messaging.topics import Topic


@dataclass(frozen=True)
class WatchEnd:
    exit_code: int
    message: str


def session_end(envelope: Envelope) -> WatchEnd | None:
    """Whether this event of the watched session ends the wait, and how."""
    payload = envelope.payload
    session = envelope.session_id
    if envelope.event_type == EventType.SESSION_COMPLETED:
        return WatchEnd(0, f"bible: {payload.get('bible_location', '?')}")
    if envelope.event_type == EventType.STAGE_FAILED:
        # Every stage.failed leaves the session needing attention: nothing more will happen
        # until someone sends feedback, so waiting on would only run into the timeout.
        return WatchEnd(
            1,
            f"session {session} needs attention: stage {payload.get('stage', '?')} failed; "
            f"see `genesis status {session}`",
        )
    if envelope.event_type == EventType.SESSION_CANCELLED:
        reason = payload.get("reason")
        return WatchEnd(1, f"session {session} was cancelled" + (f": {reason}" if reason else ""))
    return None


def rejection(record: Record, request_event_id: str) -> WatchEnd | None:
    """The DLQ record of our own request, if this is it."""
    envelope = parse_envelope(record.value)
    if envelope is None or envelope.event_id != request_event_id:
        return None
    headers = dict(record.headers)
    reason = headers.get(REASON_HEADER, b"rejected").decode(errors="replace")
    detail = headers.get(DETAIL_HEADER, b"").decode(errors="replace")
    return WatchEnd(1, f"the pipeline rejected the request ({reason}): {detail}")


async def watch_session(
    config: KafkaConfig,
    *,
    session_id: str,
    correlation_id: str,
    request_event_id: str,
    on_event: Callable[[Envelope], None],
) -> WatchEnd:
    """Follow genesis.events (and the DLQ) from their beginning until the session ends.

    Reading from the beginning means nothing published between the request and the first poll
    is missed. Runs until an end; bound it with a timeout.
    """
    events, dlq = config.topic(Topic.EVENTS), config.topic(Topic.DLQ)
    key = session_id.encode()
    async with aclosing(follow(config, [events, dlq], from_beginning=True)) as records:
        async for record in records:
            if record.key != key:  # both topics are keyed by session: skip without parsing
                continue
            if record.topic == dlq:
                end = rejection(record, request_event_id)
                if end is not None:
                    return end
                continue
            envelope = parse_envelope(record.value)
            if envelope is None or (envelope.session_id, envelope.correlation_id) != (
                session_id,
                correlation_id,
            ):
                continue
            on_event(envelope)
            end = session_end(envelope)
            if end is not None:
                return end
    raise AssertionError("follow() ends only when closed")  # pragma: no cover
