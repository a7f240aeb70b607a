"""Reading a topic back in a test: the one topic reader."""

import asyncio
import time

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.messaging.kafka import KafkaConfig, Record
from genesis_pipeline.messaging.topics import Topic


def read_topic(
    kafka: KafkaConfig, topic: Topic, *, at_least: int = 0, timeout_s: float = 10.0
) -> list[Record]:
    """Every record on the topic, from the beginning: read until `at_least` are in and a fetch
    brings nothing more (so duplicates show too), or until `timeout_s`."""

    async def read() -> list[Record]:
        found: list[Record] = []
        offsets: dict[int, int] = {}
        deadline = time.monotonic() + timeout_s
        while True:
            fetched = await kafka.fetch(kafka.topic(topic), offsets, max_records=500)
            found += fetched.records
            offsets = fetched.next_offsets
            drained = len(found) >= at_least and not fetched.records
            if drained or time.monotonic() > deadline:
                return found

    return asyncio.run(read())


def published_events(
    kafka: KafkaConfig, session_id: str | None = None, *, at_least: int = 0
) -> list[Envelope]:
    """The envelopes on `genesis.events` (of one session, or all), in topic order."""
    records = read_topic(kafka, Topic.EVENTS, at_least=at_least)
    events = [Envelope.model_validate_json(r.value or b"") for r in records]
    return [e for e in events if session_id is None or e.session_id == session_id]
