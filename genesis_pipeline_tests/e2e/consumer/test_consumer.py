"""`genesis consume`: each message takes effect once and starts its run once, whatever happens
to the consumer (SIGKILL mid-batch), to its group (two members), to the broker (a restart) or
to one message (a handler that always raises)."""

import asyncio
import re
import signal
import time
import uuid
from collections import Counter
from dataclasses import replace

import dagster as dg
import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage
from genesis_pipeline.messaging.local_broker import LocalBroker, free_port
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service.planner import PRIORITY_TAG, SESSION_TAG
from genesis_pipeline.store.tables import inbox, outbox
from genesis_pipeline_tests.e2e.consumer.conftest import Consumers
from genesis_pipeline_tests.support.kafka_topics import read_topic
from genesis_pipeline_tests.support.metrics import scrape
from genesis_pipeline_tests.support.production_stack import request_sessions, session_requests
from genesis_pipeline_tests.support.store_rows import corrupt_session
from genesis_pipeline_tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

PREMISE = "A lighthouse keeper finds a map that redraws itself every tide"


def new_ids(n: int) -> list[str]:
    return [f"c-{uuid.uuid4().hex[:10]}" for _ in range(n)]


def runs_per_session(consumers: Consumers, session_ids: list[str]) -> Counter[str]:
    records = consumers.instance.get_run_records(dg.RunsFilter(tags={}))
    wanted = set(session_ids)
    return Counter(sid for r in records if (sid := r.dagster_run.tags.get(SESSION_TAG)) in wanted)


def wait_for_runs(consumers: Consumers, session_ids: list[str], timeout_s: float = 90) -> None:
    wait_for(
        f"a run for each of {len(session_ids)} sessions",
        lambda: len(runs_per_session(consumers, session_ids)) == len(session_ids),
        timeout_s,
    )


def effects_once(consumers: Consumers, session_ids: list[str]) -> None:
    """Each session's request took effect once: one inbox row, one session.created, one run."""
    with consumers.store.engine.connect() as conn:
        inboxed = Counter(
            conn.execute(sa.select(inbox.c.session_id).where(inbox.c.session_id.in_(session_ids)))
            .scalars()
            .all()
        )
        created = Counter(
            conn.execute(
                sa.select(outbox.c.session_id).where(
                    outbox.c.session_id.in_(session_ids),
                    outbox.c.event_type == EventType.SESSION_CREATED.value,
                )
            )
            .scalars()
            .all()
        )
    once = Counter(session_ids)
    assert inboxed == once
    assert created == once
    assert runs_per_session(consumers, session_ids) == once


def test_requests_start_their_runs_once_with_the_sensors_tags(consumers: Consumers) -> None:
    kafka = consumers.kafka
    sessions = new_ids(3)
    request_sessions(kafka, sessions, PREMISE, priority=3)
    bad = OutMessage(kafka.topic(Topic.COMMANDS), b"x", b"{not json")
    asyncio.run(kafka.publish([bad]))
    port = free_port()
    consumer = consumers.start(metrics_port=port)

    wait_for_runs(consumers, sessions)
    dead = read_topic(kafka, Topic.DLQ, at_least=1)
    assert [dict(r.headers)["genesis.dlq.reason"] for r in dead] == [b"bad_json"]

    run = consumers.instance.get_run_records(dg.RunsFilter(tags={SESSION_TAG: sessions[0]}))[0]
    tags = run.dagster_run.tags
    assert tags["dagster/partition"] == sessions[0]
    assert tags[PRIORITY_TAG] == "3"
    assert tags["dagster/run_key"].startswith("session:")
    assert run.dagster_run.status == dg.DagsterRunStatus.QUEUED  # no daemon: it waits its turn
    assert consumers.instance.has_dynamic_partition("genesis_session", sessions[0])
    selected = {key.to_user_string() for key in run.dagster_run.asset_selection or ()}
    assert selected == {
        "concept", "story", "worldview", "characters", "plot_outline", "story_bible",
        "bible_export",
    }  # fmt: skip
    assert consumer.poll() is None
    effects_once(consumers, sessions)

    # Its metrics: the consumer's own figures, and the dead letter among the store's totals.
    commands = kafka.topic(Topic.COMMANDS)
    metrics = wait_for(
        "the batch's runs in the consumer's metrics",
        lambda: (
            (m := scrape(f"http://127.0.0.1:{port}/metrics"))["genesis_runs_submitted_total"][()]
            == 3
            and m
        ),
        30,
    )
    assert metrics["genesis_consumer_messages_total"] == {(("topic", commands),): 4}
    lag = metrics["genesis_consumer_lag"]
    assert {topic for (_, (_, topic)) in lag} == {commands, kafka.topic(Topic.FEEDBACK)}
    assert set(lag.values()) == {0}
    dead = metrics["genesis_dlq_messages_total"]
    assert dead[(("reason", "bad_json"), ("topic", commands))] == 1


def test_sigkill_mid_batch_loses_nothing_and_applies_nothing_twice(consumers: Consumers) -> None:
    sessions = new_ids(30)  # submitted one by one, ~0.5 s each: time to kill mid-batch
    request_sessions(consumers.kafka, sessions, PREMISE)
    first = consumers.start()
    wait_for(
        "some of the batch's runs",
        lambda: len(runs_per_session(consumers, sessions)) >= 3,
        90,
        poll_s=0.05,
        watched=first,
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert len(runs_per_session(consumers, sessions)) < len(sessions), "killed too late"

    consumers.start()  # reads the uncommitted batch again
    wait_for_runs(consumers, sessions)
    effects_once(consumers, sessions)


def test_two_consumers_in_one_group_apply_each_message_once(
    consumers: Consumers, kafka: KafkaConfig
) -> None:
    prefix = f"p{uuid.uuid4().hex[:8]}."
    split = KafkaConfig(bootstrap=kafka.bootstrap, topic_prefix=prefix, idempotence=False)
    asyncio.run(split.create_topics([split.topic(t) for t in Topic], partitions=4))
    consumers.kafka = split
    consumers.start()
    consumers.start()
    wait_for(
        "both members to hold partitions",
        lambda: all(f"{split.topic(Topic.COMMANDS)}[" in consumers.output(i) for i in range(2)),
        60,
    )

    sessions = new_ids(16)
    request_sessions(split, sessions, PREMISE)
    wait_for_runs(consumers, sessions)
    effects_once(consumers, sessions)
    wait_for(  # the runs exist before the batch's commit and its log line
        "a batch applied by each member",
        lambda: all(re.search(r"\b[1-9]\d* applied", consumers.output(i)) for i in range(2)),
        30,
    )


def test_the_consumer_resumes_after_the_broker_restarts(consumers: Consumers) -> None:
    broker = LocalBroker().start()
    try:
        kafka = KafkaConfig(bootstrap=broker.bootstrap, idempotence=False, timeout_s=5)
        asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
        consumers.kafka = kafka
        consumer = consumers.start()
        before = new_ids(2)
        before_messages = session_requests(kafka, before, PREMISE)
        asyncio.run(kafka.publish(before_messages))
        wait_for_runs(consumers, before)

        broker.stop()
        time.sleep(3)  # the consumer finds the broker gone and retries
        broker = LocalBroker(broker.port).start()
        # The local broker keeps topics and committed offsets in memory only: they are gone
        # with it. The first messages again (the same events, redelivered), then new ones.
        asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
        after = new_ids(2)
        asyncio.run(kafka.publish(before_messages + session_requests(kafka, after, PREMISE)))
        wait_for_runs(consumers, after, timeout_s=120)
        assert consumer.poll() is None
        effects_once(consumers, before + after)
    finally:
        broker.stop()


def test_a_message_whose_handler_always_raises_cannot_stop_the_topic(
    consumers: Consumers, monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka = consumers.kafka
    monkeypatch.setenv("GENESIS_INBOUND_MAX_ATTEMPTS", "2")
    broken = new_ids(1)[0]
    corrupt_session(consumers.store, broken)  # every handler reading it raises ValueError
    paused = new_event(
        EventType.SESSION_PAUSE_REQUESTED, session_id=broken, correlation_id=broken, payload={}
    )
    pause = OutMessage(kafka.topic(Topic.COMMANDS), None, paused.model_dump_json().encode())
    sessions = new_ids(2)
    one_partition = [
        replace(m, key=b"one-partition")
        for m in [pause, *session_requests(kafka, sessions, PREMISE)]
    ]
    asyncio.run(kafka.publish(one_partition))
    consumer = consumers.start()

    wait_for_runs(consumers, sessions)
    [dead] = read_topic(kafka, Topic.DLQ, at_least=1)
    assert dict(dead.headers)["genesis.dlq.reason"] == b"handler_error"
    assert dict(dead.headers)["genesis.dlq.detail"].startswith(b"2 attempts: ValueError")
    assert "attempt 1 of 2 failed: ValueError" in consumers.output(0)
    assert consumer.poll() is None
    effects_once(consumers, sessions)
