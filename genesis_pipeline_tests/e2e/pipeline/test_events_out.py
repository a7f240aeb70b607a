"""From a request on genesis.commands to the session's events on genesis.events, with the
outbox relay sensor in between, including a broker that goes away mid-session."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from genesis_pipeline.defs.automation.kafka_sensors import genesis_commands_sensor
from genesis_pipeline.defs.automation.relay_sensor import genesis_outbox_relay_sensor
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.messaging.kafka import KafkaConfig, KafkaUnavailableError
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline, make_pipeline
from genesis_pipeline_tests.e2e.pipeline.test_commands import FULL_CHAIN
from genesis_pipeline_tests.support.kafka_topics import published_events


def test_the_events_of_a_session_reach_the_topic_in_contract_order(pipeline: Pipeline) -> None:
    pipeline.command("requested", "moon-harbor-40", premise=PREMISE)
    pipeline.settle()
    pipeline.tick(genesis_outbox_relay_sensor)

    events = [e for e in published_events(pipeline.kafka) if e.session_id == "moon-harbor-40"]
    assert [e.event_type.removeprefix("genesis.") for e in events] == FULL_CHAIN
    assert len({e.event_id for e in events}) == len(events)
    assert events == pipeline.events("moon-harbor-40")


@pytest.fixture
def own_broker() -> Iterator[LocalBroker]:
    broker = LocalBroker()
    with broker:
        yield broker


def test_a_broker_restart_during_a_session_loses_nothing(
    own_broker: LocalBroker, instance: dg.DagsterInstance, tmp_path: Path
) -> None:
    kafka = KafkaConfig(bootstrap=own_broker.bootstrap, topic_prefix="restart.", idempotence=False)
    asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
    pipeline = make_pipeline(instance, kafka, tmp_path)
    pipeline.command("requested", "moon-harbor-41", premise=PREMISE)
    [start] = pipeline.tick(genesis_commands_sensor, execute=False).run_requests

    own_broker.stop()
    assert pipeline.execute("commands", start).success  # the stages do not need the broker
    skipped = pipeline.tick(genesis_outbox_relay_sensor)
    assert isinstance(skipped, dg.SkipReason) and "broker unavailable" in str(skipped.skip_message)
    with pytest.raises(KafkaUnavailableError):  # a failed tick: its cursor does not move
        pipeline.tick(genesis_commands_sensor)

    own_broker.start()  # memory storage: the restarted broker starts empty
    asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
    pipeline.tick(genesis_outbox_relay_sensor)
    pipeline.settle()

    assert pipeline.store.session("moon-harbor-41").status is SessionStatus.COMPLETED
    events = published_events(kafka)
    assert [e.event_type.removeprefix("genesis.") for e in events] == FULL_CHAIN
