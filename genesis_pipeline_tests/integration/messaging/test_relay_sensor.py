"""`genesis_outbox_relay_sensor` ticks against the real broker and a real store."""

import dagster as dg

from genesis_pipeline.defs.automation.relay_sensor import genesis_outbox_relay_sensor
from genesis_pipeline.defs.resources import GenesisStoreResource, KafkaResource
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.local_broker import free_port
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.integration.messaging.conftest import fill_outbox, read_events, unsent


def tick(store: GenesisStore, kafka: KafkaResource) -> str:
    with dg.DagsterInstance.ephemeral() as instance:
        context = dg.build_sensor_context(
            instance=instance,
            resources={
                "genesis_store": GenesisStoreResource(database_url=store.url),
                "kafka": kafka,
            },
        )
        result = genesis_outbox_relay_sensor(context)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message is not None
    return result.skip_message


def test_a_tick_publishes_the_outbox_and_says_how_much(
    store: GenesisStore, kafka: KafkaConfig
) -> None:
    written = fill_outbox(store, sessions=4, per_session=6)
    resource = KafkaResource(bootstrap=kafka.bootstrap, topic_prefix=kafka.topic_prefix)

    first, second = tick(store, resource), tick(store, resource)

    assert first == f"published 24 event(s) to {kafka.topic_prefix}genesis.events"
    assert second.startswith("published 0 event(s)")
    assert unsent(store) == 0
    published = read_events(kafka, at_least=len(written))
    assert sorted(m.envelope.event_id for m in published) == sorted(e.event_id for e in written)


def test_a_tick_with_the_broker_down_keeps_the_outbox_and_says_why(
    sqlite_store: GenesisStore,
) -> None:
    fill_outbox(sqlite_store, sessions=1, per_session=3)
    down = KafkaResource(bootstrap=f"127.0.0.1:{free_port()}", idempotence=False)

    message = tick(sqlite_store, down)

    assert message.startswith("broker unavailable, outbox kept for the next tick")
    assert "Unable to bootstrap" in message
    assert unsent(sqlite_store) == 3


def test_a_tick_with_an_idempotent_producer_on_tansu_names_the_setting(
    sqlite_store: GenesisStore, kafka: KafkaConfig
) -> None:
    fill_outbox(sqlite_store, sessions=1, per_session=3)
    idempotent = KafkaResource(bootstrap=kafka.bootstrap, idempotence=True)

    message = tick(sqlite_store, idempotent)

    assert "misconfigured" in message and "GENESIS_KAFKA_IDEMPOTENCE=false" in message
    assert unsent(sqlite_store) == 3


def test_the_definitions_hold_the_sensor_on_by_default() -> None:
    from genesis_pipeline.definitions import defs

    sensor = defs.resolve_sensor_def("genesis_outbox_relay_sensor")
    assert sensor.default_status is dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds == 2
