"""Kafka settings as production clusters need them, read from GENESIS_KAFKA_*."""

import asyncio

import pytest

from genesis_pipeline.messaging.kafka import KafkaConfig, KafkaUnavailableError
from genesis_pipeline.messaging.local_broker import free_port
from genesis_pipeline.messaging.topics import Topic


def test_sasl_and_tls_settings_reach_the_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENESIS_KAFKA_BOOTSTRAP", "kafka-1:9093,kafka-2:9093")
    monkeypatch.setenv("GENESIS_TOPIC_PREFIX", "staging.")
    monkeypatch.setenv("GENESIS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("GENESIS_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("GENESIS_KAFKA_SASL_USERNAME", "genesis")
    monkeypatch.setenv("GENESIS_KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("GENESIS_KAFKA_TIMEOUT_S", "4")
    config = KafkaConfig.from_settings()

    assert config.topic(Topic.EVENTS) == "staging.genesis.events"

    async def build() -> object:
        return config.producer().client  # aiokafka clients are made inside a running loop

    client = asyncio.run(build())
    assert client._bootstrap_servers == "kafka-1:9093,kafka-2:9093"
    assert client._security_protocol == "SASL_SSL"
    assert client._sasl_mechanism == "SCRAM-SHA-512"
    assert client._sasl_plain_username == "genesis"
    assert client._ssl_context is not None
    assert client._request_timeout_ms == 4000
    assert config.idempotence  # the production default


def test_a_dead_broker_fails_fast_with_a_clear_reason() -> None:
    config = KafkaConfig(bootstrap=f"127.0.0.1:{free_port()}", timeout_s=2, idempotence=False)
    with pytest.raises(KafkaUnavailableError) as failure:
        asyncio.run(config.fetch("genesis.commands", {}, max_records=10))
    assert "127.0.0.1" in str(failure.value)
