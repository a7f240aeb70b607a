"""Outboxes to fill and a topic to read back, for the relay tests."""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import outbox
from genesis_pipeline_tests.support.kafka_topics import read_topic


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


def read_events(kafka: KafkaConfig, *, at_least: int, timeout_s: float = 60.0) -> list[Published]:
    """Every message on the events topic: read until `at_least` are in and a fetch brings
    nothing more (so duplicates show up too), or until `timeout_s`."""
    records = read_topic(kafka, Topic.EVENTS, at_least=at_least, timeout_s=timeout_s)
    return [
        Published((r.key or b"").decode(), Envelope.model_validate_json(r.value or b""))
        for r in records
    ]


def by_session(published: list[Published]) -> dict[str, list[str]]:
    order: dict[str, list[str]] = defaultdict(list)
    for message in published:
        order[message.key].append(message.envelope.event_id)
    return dict(order)
