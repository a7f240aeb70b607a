"""Outboxes to fill and a topic to read back, for the relay tests."""

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka import TopicPartition

from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import outbox


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> GenesisStore:
    if request.param == "sqlite":
        return GenesisStore(f"sqlite:///{tmp_path / 'genesis.db'}")
    return GenesisStore(request.getfixturevalue("postgres_url"))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> GenesisStore:
    return GenesisStore(f"sqlite:///{tmp_path / 'genesis.db'}")


def fill_outbox(store: GenesisStore, *, sessions: int, per_session: int) -> list[Envelope]:
    """`sessions × per_session` events, interleaved as concurrent sessions write them; returned
    in outbox order."""
    written = []
    with store.unit_of_work() as uow:
        for n in range(per_session):
            for s in range(sessions):
                event = new_event(
                    EventType.CONTENT_GENERATED,
                    session_id=f"session-{s:03d}",
                    correlation_id=f"corr-{s:03d}",
                    payload={"stage": "concept", "version": n + 1, "summary": f"draft {n}"},
                )
                assert uow.outbox.add(event, fact_key=f"test:{event.event_id}")
                written.append(event)
        uow.commit()
    return written


def unsent(store: GenesisStore) -> int:
    with store.read() as r:
        return r.outbox.unsent_count()


def outbox_order(store: GenesisStore) -> dict[str, list[str]]:
    """Event ids per session, in outbox (id) order."""
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.session_id, outbox.c.event_id).order_by(outbox.c.id))
        order: dict[str, list[str]] = defaultdict(list)
        for session_id, event_id in rows:
            order[session_id].append(event_id)
    return dict(order)


@dataclass(frozen=True)
class Published:
    key: str
    envelope: Envelope


def read_events(kafka: KafkaConfig, *, at_least: int, timeout_s: float = 20.0) -> list[Published]:
    """Every message on the events topic in partition order: read until `at_least` are in and
    a poll brings nothing more (so duplicates show up too), or until `timeout_s`."""
    return asyncio.run(_read(kafka, kafka.topic(Topic.EVENTS), at_least, timeout_s))


async def _read(kafka: KafkaConfig, topic: str, at_least: int, timeout_s: float) -> list[Published]:
    consumer = kafka.consumer()
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        partitions: set[int] = set()
        while not partitions and time.monotonic() < deadline:
            await consumer.topics()
            partitions = set(consumer.partitions_for_topic(topic) or ())
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        found: list[Published] = []
        while time.monotonic() < deadline:
            batches = await consumer.getmany(*tps, timeout_ms=300)
            messages = [m for tp in tps for m in batches.get(tp, [])]
            for m in messages:
                assert m.key is not None and m.value is not None
                found.append(Published(m.key.decode(), Envelope.model_validate_json(m.value)))
            if len(found) >= at_least and not messages:
                break
        return found
    finally:
        await consumer.stop()


def by_session(published: list[Published]) -> dict[str, list[str]]:
    order: dict[str, list[str]] = defaultdict(list)
    for message in published:
        order[message.key].append(message.envelope.event_id)
    return dict(order)
