"""Several relays on one PostgreSQL outbox: disjoint batches, per-session order kept."""

import asyncio
import threading

import pytest

from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.relay import OutboxRelay
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.integration.messaging.conftest import (
    by_session,
    fill_outbox,
    outbox_order,
    read_events,
    unsent,
)

pytestmark = pytest.mark.postgres


def test_rows_another_relay_holds_are_skipped_and_their_sessions_wait(postgres_url: str) -> None:
    store = GenesisStore(postgres_url)
    written = fill_outbox(store, sessions=4, per_session=3)  # ids 1-4: one row of each session

    with store.unit_of_work() as first, store.unit_of_work() as second:
        held = first.outbox.claim_unsent(2)  # session-000 and session-001's oldest rows
        batch = second.outbox.claim_unsent(100)

    assert [e.envelope for e in held.events] == written[:2]
    assert held.held_back == 0
    # The second relay skips the two locked rows and holds back the rest of those sessions.
    assert batch.claimed == len(written) - 2
    assert {e.session_id for e in batch.events} == {"session-002", "session-003"}
    assert batch.held_back == 4
    assert [e.envelope for e in batch.events] == [
        e for e in written[2:] if e.session_id in ("session-002", "session-003")
    ]


def test_several_relays_at_once_publish_every_row_once_in_session_order(
    postgres_url: str, kafka: KafkaConfig
) -> None:
    store = GenesisStore(postgres_url)
    written = fill_outbox(store, sessions=60, per_session=50)  # 3,000 rows, interleaved
    relays = 4
    start = threading.Barrier(relays)
    published = [0] * relays
    errors: list[BaseException] = []

    def relay(index: int) -> None:
        async def drain() -> int:
            # Small batches: many claims racing over the same rows.
            async with OutboxRelay(store, kafka, batch_size=50) as relay:
                start.wait()
                return await relay.drain()

        try:
            published[index] = asyncio.run(drain())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=relay, args=(i,)) for i in range(relays)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert unsent(store) == 0
    assert sum(published) == len(written)
    assert sum(1 for count in published if count) > 1, f"the relays did not overlap: {published}"
    on_topic = read_events(kafka, at_least=len(written))
    assert sorted(m.envelope.event_id for m in on_topic) == sorted(e.event_id for e in written)
    assert by_session(on_topic) == outbox_order(store)
