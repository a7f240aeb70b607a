"""`genesis relay` as a user and an operator meet it: exit codes, Ctrl-C, and a SIGKILL."""

import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import TopicPartition
from click.testing import CliRunner, Result

from genesis_pipeline.cli import main
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.local_broker import free_port
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.integration.messaging.conftest import fill_outbox, read_events, unsent
from genesis_pipeline_tests.support.waiting import wait_for

RELAY = [sys.executable, "-c", "from genesis_pipeline.cli import main; main()", "relay"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GenesisStore:
    """The SQLite store the `genesis` command finds through the environment."""
    url = f"sqlite:///{tmp_path / 'genesis.db'}"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GENESIS_DATABASE_URL", url)
    return GenesisStore(url)


def genesis(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_relay_once_publishes_what_is_pending_and_exits_0(
    store: GenesisStore, kafka: KafkaConfig
) -> None:
    written = fill_outbox(store, sessions=3, per_session=10)

    first, second = genesis("relay", "--once"), genesis("relay", "--once")

    assert first.exit_code == 0, first.output
    assert f"published 30 event(s) to {kafka.topic_prefix}genesis.events" in first.output
    assert second.exit_code == 0 and "published 0 event(s)" in second.output
    assert unsent(store) == 0
    published = read_events(kafka, at_least=len(written))
    assert sorted(m.envelope.event_id for m in published) == sorted(e.event_id for e in written)


def test_relay_once_without_a_broker_exits_1_with_a_one_line_reason(
    store: GenesisStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESIS_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    monkeypatch.setenv("GENESIS_KAFKA_IDEMPOTENCE", "false")
    fill_outbox(store, sessions=1, per_session=2)

    result = genesis("relay", "--once")

    assert result.exit_code == 1
    assert result.stderr.startswith("error:") and "Unable to bootstrap" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert unsent(store) == 2


def test_relay_with_an_idempotent_producer_on_tansu_is_a_usage_error(
    store: GenesisStore, kafka: KafkaConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENESIS_KAFKA_IDEMPOTENCE", "true")

    result = genesis("relay", "--once")

    assert result.exit_code == 2
    assert "GENESIS_KAFKA_IDEMPOTENCE=false" in result.stderr


def test_a_metrics_port_in_use_is_a_one_line_usage_error(store: GenesisStore) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = genesis("relay", "--metrics-port", str(port))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot serve metrics on 127.0.0.1:{port}")
    assert "Traceback" not in result.output


def test_the_relay_process_publishes_as_rows_arrive_and_stops_cleanly_on_ctrl_c(
    store: GenesisStore, kafka: KafkaConfig
) -> None:
    fill_outbox(store, sessions=2, per_session=10)
    process = subprocess.Popen(RELAY, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for("the first rows published", lambda: unsent(store) == 0, 30, 0.005, watched=process)
        fill_outbox(store, sessions=2, per_session=5)
        wait_for(
            "the rows written later published",
            lambda: unsent(store) == 0,
            30,
            0.005,
            watched=process,
        )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "published 20 event(s)" in out and "published 10 event(s)" in out
    assert out.rstrip().endswith("relay stopped")


@pytest.mark.slow
def test_a_relay_killed_mid_batch_loses_no_event(store: GenesisStore, kafka: KafkaConfig) -> None:
    written = fill_outbox(store, sessions=100, per_session=100)  # 10,000 events
    process = subprocess.Popen(RELAY, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        on_topic_at_kill = asyncio.run(kill_once_publishing_started(process, kafka))
    finally:
        process.kill()
        process.wait()
    left = unsent(store)
    assert on_topic_at_kill > 0 and left > 0, "the relay was not killed in the middle of a drain"

    restarted = genesis("relay", "--once")

    assert restarted.exit_code == 0, restarted.output
    assert unsent(store) == 0
    published = read_events(kafka, at_least=len(written))
    assert {m.envelope.event_id for m in published} == {e.event_id for e in written}
    # At least once: what was in flight when it died is published again, never lost.
    assert len(published) >= len(written)


async def kill_once_publishing_started(process: subprocess.Popen[str], kafka: KafkaConfig) -> int:
    """SIGKILL the relay as soon as its first messages reach the topic, while the rest of its
    batch is still in flight and nothing of it is marked sent; returns how many had arrived."""
    topic = kafka.topic(Topic.EVENTS)
    consumer = kafka.consumer()
    await consumer.start()
    try:
        await consumer.topics()
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            batches = await consumer.getmany(*tps, timeout_ms=5)
            if arrived := sum(len(messages) for messages in batches.values()):
                process.kill()
                return arrived
        raise AssertionError(f"no message on {topic} (relay exit code {process.poll()})")
    finally:
        await consumer.stop()
