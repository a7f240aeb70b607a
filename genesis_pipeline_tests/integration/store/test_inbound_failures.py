"""No message can stop a topic: a message whose handler raises holds its partition for a
bounded number of attempts, counted in the store across ticks, then goes to the DLQ; a
transient failure holds the batch without counting against any message."""

import pytest
import sqlalchemy as sa

from genesis_pipeline.defs.automation.inbound_handlers import (
    COMMAND_HANDLERS,
    Effects,
    HandlerContext,
    apply_records,
)
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.messaging.dlq import DETAIL_HEADER, REASON_HEADER
from genesis_pipeline.messaging.kafka import Record
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import inbound_failures
from genesis_pipeline_tests.support.store_rows import corrupt_session

TOPIC = "genesis.commands"


def record(partition: int, offset: int, event_type: str, session_id: str, **payload: str) -> Record:
    envelope = new_event(
        EventType(f"genesis.session.{event_type}"),
        session_id=session_id,
        correlation_id=session_id,
        payload=payload,
    )
    value = envelope.model_dump_json().encode()
    return Record(TOPIC, partition, offset, session_id.encode(), value, 0, ())


def apply(store: GenesisStore, records: list[Record], warnings: list[str]):
    return apply_records(
        records,
        COMMAND_HANDLERS,
        HandlerContext(store=store),
        Effects(),
        dlq_topic="genesis.dlq",
        max_attempts=3,
        warn=warnings.append,
    )


def test_a_failing_message_holds_its_partition_then_goes_to_the_dlq(store: GenesisStore) -> None:
    corrupt_session(store, "broken-1")
    batch = [
        record(0, 10, "pause_requested", "broken-1"),
        record(0, 11, "requested", "after-1", premise="A lighthouse keeper finds a map"),
        record(1, 4, "requested", "elsewhere-1", premise="A lighthouse keeper finds a map"),
    ]
    warnings: list[str] = []

    for attempt in (1, 2):
        applied = apply(store, batch, warnings)
        assert applied.held == {(TOPIC, 0): 10} and applied.dead == []
        assert applied.next_offset(TOPIC, 0, 12) == 10
        assert applied.next_offset(TOPIC, 1, 5) == 5  # the other partition goes on
        assert f"attempt {attempt} of 3 failed: ValueError" in warnings[-1]
        with store.read() as r:
            assert r.sessions.get("after-1") is None  # waits behind the failing message
            assert r.sessions.get("elsewhere-1") is not None

    applied = apply(store, batch, warnings)
    assert applied.held == {}
    [dead] = applied.dead
    headers = dict(dead.headers)
    assert headers[REASON_HEADER] == b"handler_error"
    assert headers[DETAIL_HEADER].decode().startswith("3 attempts: ValueError: 'bogus'")
    assert dead.value == batch[0].value  # as it arrived, to replay once fixed
    with store.read() as r:
        assert r.sessions.get("after-1") is not None
    with store.engine.connect() as conn:
        [row] = conn.execute(sa.select(inbound_failures)).mappings().all()
    assert row["attempts"] == 3 and "bogus" in row["last_error"]


def test_a_transient_failure_holds_the_batch_and_counts_nothing(
    store: GenesisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_away(*_args: object) -> None:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setitem(COMMAND_HANDLERS, EventType.SESSION_PAUSE_REQUESTED, database_away)
    with pytest.raises(sa.exc.OperationalError):
        apply(store, [record(0, 0, "pause_requested", "any-1")], [])
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(inbound_failures)).scalar() == 0
