"""The outbox relay against the real broker, on SQLite and PostgreSQL."""

import asyncio
import logging
from collections.abc import Callable

import pytest

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.messaging.kafka import IdempotenceUnsupportedError, KafkaConfig
from genesis_pipeline.messaging.local_broker import LocalBroker, free_port
from genesis_pipeline.messaging.relay import BatchPublished, OutboxRelay, relay_pending
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.integration.messaging.conftest import (
    by_session,
    fill_outbox,
    outbox_order,
    read_events,
    unsent,
)


def test_publishes_in_outbox_order_keyed_by_session_and_marks_sent(
    store: GenesisStore, kafka: KafkaConfig
) -> None:
    written = fill_outbox(store, sessions=7, per_session=40)
    batches: list[BatchPublished] = []

    async def drain() -> tuple[int, int]:
        async with OutboxRelay(store, kafka, batch_size=100, on_batch=batches.append) as relay:
            return await relay.drain(), await relay.drain()

    first, second = asyncio.run(drain())

    assert (first, second) == (280, 0)
    assert [b.published for b in batches] == [100, 100, 80]
    assert unsent(store) == 0
    published = read_events(kafka, at_least=len(written))
    assert [m.envelope for m in published if m.key == "session-003"] == [
        e for e in written if e.session_id == "session-003"
    ]
    assert all(m.key == m.envelope.session_id for m in published)
    assert sorted(m.envelope.event_id for m in published) == sorted(e.event_id for e in written)
    assert by_session(published) == outbox_order(store)


def test_max_rows_and_a_time_budget_bound_a_drain(store: GenesisStore, kafka: KafkaConfig) -> None:
    fill_outbox(store, sessions=3, per_session=10)

    async def drain() -> tuple[int, int, int]:
        async with OutboxRelay(store, kafka, batch_size=4) as relay:
            return (
                await relay.drain(max_rows=10),
                await relay.drain(time_budget_s=0),
                await relay.drain(),
            )

    assert asyncio.run(drain()) == (10, 0, 20)
    assert unsent(store) == 0


def test_an_idempotent_producer_against_tansu_says_how_to_fix_it(
    sqlite_store: GenesisStore, kafka: KafkaConfig
) -> None:
    fill_outbox(sqlite_store, sessions=1, per_session=3)
    idempotent = KafkaConfig(bootstrap=kafka.bootstrap, topic_prefix=kafka.topic_prefix)

    with pytest.raises(IdempotenceUnsupportedError, match="GENESIS_KAFKA_IDEMPOTENCE=false"):
        asyncio.run(relay_pending(sqlite_store, idempotent))
    assert unsent(sqlite_store) == 3


def test_the_relay_backs_off_while_the_broker_is_down_and_drains_when_it_is_back(
    sqlite_store: GenesisStore, caplog: pytest.LogCaptureFixture
) -> None:
    broker = LocalBroker(port=free_port())  # not started yet: the relay begins against nothing
    kafka = KafkaConfig(
        bootstrap=broker.bootstrap, topic_prefix="down.", idempotence=False, timeout_s=1.0
    )
    before = fill_outbox(sqlite_store, sessions=3, per_session=5)
    caplog.set_level(logging.INFO, logger="genesis_pipeline.messaging.relay")

    def warnings() -> int:  # the relay's own: aiokafka logs warnings of its own meanwhile
        return sum(
            r.levelno == logging.WARNING and r.name == "genesis_pipeline.messaging.relay"
            for r in caplog.records
        )

    async def until(condition: Callable[[], bool], what: str) -> None:
        for _ in range(400):
            if condition():
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}")

    async def scenario() -> None:
        stop = asyncio.Event()
        relay = OutboxRelay(sqlite_store, kafka)
        task = asyncio.create_task(
            relay.run(stop, poll_interval_s=0.05, first_retry_s=0.05, max_retry_s=0.3)
        )
        await until(lambda: warnings() >= 3, "three failed attempts")
        assert not task.done() and unsent(sqlite_store) == len(before)

        await asyncio.to_thread(broker.start)
        await until(lambda: unsent(sqlite_store) == 0, "the first backlog to drain")

        # Gone again with the producer connected; it comes back empty (memory storage).
        await asyncio.to_thread(broker.stop)
        failed_so_far = warnings()
        after.extend(fill_outbox(sqlite_store, sessions=2, per_session=5))
        await until(lambda: warnings() > failed_so_far, "a failed attempt on the stale producer")
        await asyncio.to_thread(broker.start)
        await until(lambda: unsent(sqlite_store) == 0, "the second backlog to drain")
        stop.set()
        await task
        await relay.close()

    after: list[Envelope] = []
    try:
        asyncio.run(scenario())
        published = read_events(kafka, at_least=len(after))
    finally:
        broker.stop()

    assert {m.envelope.event_id for m in published} == {e.event_id for e in after}
    messages = [r.getMessage() for r in caplog.records]
    assert any("broker unavailable (attempt 1)" in m and "retrying in" in m for m in messages)
    assert any("publishing again after" in m for m in messages)
