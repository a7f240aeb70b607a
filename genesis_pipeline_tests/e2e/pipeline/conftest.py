"""A driver that ticks the real sensors against the real broker and runs what they request.

It plays the daemon's part in one process: it keeps each sensor's cursor, adds the partitions a
result asks for, drops run requests whose run key the sensor used before (as Dagster does) and
executes the others in-process with `materialize`.
"""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from genesis_pipeline.defs.automation.failures import record_failures, stage_failures
from genesis_pipeline.defs.automation.kafka_sensors import (
    genesis_commands_sensor,
    genesis_feedback_sensor,
)
from genesis_pipeline.defs.automation.sensors import genesis_revision_sensor
from genesis_pipeline.defs.resources import GeneratorResource, KafkaResource, genesis_resources
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage, Record
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.support.kafka_topics import read_topic

SENSORS = (genesis_commands_sensor, genesis_feedback_sensor, genesis_revision_sensor)
PREMISE = "A lighthouse keeper on a drowned coast finds a map that redraws itself every tide"


def envelope(event_type: str, session_id: str, payload: dict[str, Any], **extra: Any) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "event_version": 1,
        "session_id": session_id,
        "correlation_id": str(uuid.uuid4()),
        "causation_id": None,
        "occurred_at": datetime.now(UTC).isoformat(),
        "payload": payload,
        **extra,
    }


class Pipeline:
    def __init__(self, instance: dg.DagsterInstance, resources: dict[str, Any], kafka: KafkaConfig):
        self.instance = instance
        self.resources = resources
        self.kafka = kafka
        self.store: GenesisStore = resources["genesis_store"].store
        self.cursors: dict[str, str | None] = {}
        self.used_keys: dict[str, set[str]] = {}
        self.runs: list[tuple[str, dg.RunRequest, dg.ExecuteInProcessResult]] = []

    def send(self, topic: Topic, *messages: dict | bytes, key: bytes | None = None) -> None:
        out = []
        for message in messages:
            value = message if isinstance(message, bytes) else json.dumps(message).encode()
            session = message.get("session_id") if isinstance(message, dict) else None
            out.append(
                OutMessage(self.kafka.topic(topic), key or (session or "").encode() or None, value)
            )

        async def publish() -> None:  # room for the oversize messages the tests send
            producer = await self.kafka.start_producer(max_request_size=4 * 1024 * 1024)
            try:
                await self.kafka.send_batch(producer, out)
            finally:
                await producer.stop()

        asyncio.run(publish())

    def command(self, event_type: str, session_id: str, **payload: Any) -> dict:
        message = envelope(f"genesis.session.{event_type}", session_id, payload)
        self.send(Topic.COMMANDS, message)
        return message

    def feedback(self, event_type: str, session_id: str, **payload: Any) -> dict:
        message = envelope(f"genesis.{event_type}", session_id, payload)
        self.send(Topic.FEEDBACK, message)
        return message

    def tick(self, sensor: dg.SensorDefinition, *, execute: bool = True) -> Any:
        with dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(sensor.name),
            resources=self.resources,
            sensor_name=sensor.name,
        ) as context:
            result = sensor(context)
        if not isinstance(result, dg.SensorResult):
            return result
        for request in result.dynamic_partitions_requests or []:
            assert isinstance(request, dg.AddDynamicPartitionsRequest)
            self.instance.add_dynamic_partitions(
                request.partitions_def_name, request.partition_keys
            )
        if result.cursor is not None:
            self.cursors[sensor.name] = result.cursor
        used = self.used_keys.setdefault(sensor.name, set())
        fresh = []
        for request in result.run_requests or []:
            if request.run_key not in used:
                fresh.append(request)
                used.add(request.run_key or "")
        if execute:
            for request in fresh:
                self.execute(sensor.name, request)
        return result

    def execute(self, sensor_name: str, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        outcome = dg.materialize(
            GENESIS_ASSETS,
            selection=request.asset_selection or None,
            partition_key=request.partition_key,
            instance=self.instance,
            resources=self.resources,
            tags={**request.tags, "dagster/run_key": request.run_key or ""},
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
        )
        self.runs.append((sensor_name, request, outcome))
        if not outcome.success and request.partition_key:  # as genesis_stage_failure_sensor
            failures = stage_failures(outcome.all_events)
            record_failures(self.store, request.partition_key, failures, run_id=outcome.run_id)
        return outcome

    def settle(self, rounds: int = 30) -> None:
        """Tick every sensor until a whole round starts nothing new."""
        for _ in range(rounds):
            before = len(self.runs)
            for sensor in SENSORS:
                self.tick(sensor)
            if len(self.runs) == before:
                return
        raise AssertionError("the pipeline did not settle")

    def events(self, session_id: str) -> list[Envelope]:
        with self.store.read() as r:
            return r.outbox.for_session(session_id)

    def event_types(self, session_id: str) -> list[str]:
        return [e.event_type.removeprefix("genesis.") for e in self.events(session_id)]

    def dlq(self) -> list[Record]:
        return read_topic(self.kafka, Topic.DLQ)


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    overrides = {
        "run_coordinator": {
            "module": "dagster._core.run_coordinator",
            "class": "QueuedRunCoordinator",
        },
        "telemetry": {"enabled": False},
    }
    home = tmp_path / "dagster"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home), overrides=overrides) as temp:
        yield temp


@pytest.fixture
def pipeline(instance: dg.DagsterInstance, kafka: KafkaConfig, tmp_path: Path) -> Pipeline:
    return make_pipeline(instance, kafka, tmp_path)


def make_pipeline(
    instance: dg.DagsterInstance,
    kafka: KafkaConfig,
    tmp_path: Path,
    database_url: str | None = None,
) -> Pipeline:
    """The driver on a genesis store at `database_url` (default: a SQLite file in tmp_path)."""
    resources = genesis_resources(
        database_url=database_url or f"sqlite:///{tmp_path / 'genesis.db'}",
        export_uri=str(tmp_path / "exports"),
        generator=GeneratorResource(provider="offline", offline_flaw_rate=0.0),
        quality_threshold=0.75,
        kafka=KafkaResource(
            bootstrap=kafka.bootstrap, topic_prefix=kafka.topic_prefix, idempotence=False
        ),
    )
    return Pipeline(instance, resources, kafka)
