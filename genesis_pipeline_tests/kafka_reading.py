"""Reading a whole topic back in a test."""

import asyncio

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.messaging.kafka import KafkaConfig, Record
from genesis_pipeline.messaging.topics import Topic


def read_topic(kafka: KafkaConfig, topic: Topic) -> list[Record]:
    """Every record on the topic now, partition by partition, from the beginning."""
    offsets: dict[int, int] = {}
    records: list[Record] = []
    while True:
        fetched = asyncio.run(kafka.fetch(kafka.topic(topic), offsets, max_records=500))
        if not fetched.records:
            return records
        records += fetched.records
        offsets = fetched.next_offsets


def published_events(kafka: KafkaConfig, session_id: str | None = None) -> list[Envelope]:
    events = [Envelope.model_validate_json(r.value or b"") for r in read_topic(kafka, Topic.EVENTS)]
    return [e for e in events if session_id is None or e.session_id == session_id]
