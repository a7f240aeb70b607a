"""Real components for the tests: the Tansu broker and the machine's PostgreSQL."""

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import sqlalchemy as sa

from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL, scratch_database


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that restart a service of this machine run in CI, or when asked for; a plain
    `pytest` on someone's laptop leaves their PostgreSQL alone."""
    if os.environ.get("CI", "").lower() == "true" or os.environ.get("GENESIS_TESTS_MAY_DISTURB"):
        return
    skip = pytest.mark.skip(
        reason="restarts this machine's PostgreSQL: set CI=true or "
        "GENESIS_TESTS_MAY_DISTURB=1 to run it"
    )
    for item in items:
        if "disturbs_machine" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """GENESIS_KAFKA_BOOTSTRAP when set, else a Tansu broker on a free loopback port."""
    configured = os.environ.get("GENESIS_KAFKA_BOOTSTRAP")
    if configured:
        yield configured
        return
    with LocalBroker() as broker:
        yield broker.bootstrap


@pytest.fixture
def kafka(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> KafkaConfig:
    """Kafka with the four topics under a prefix of this test's own, also set in the env."""
    prefix = f"t{uuid.uuid4().hex[:10]}."
    monkeypatch.setenv("GENESIS_KAFKA_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("GENESIS_TOPIC_PREFIX", prefix)
    monkeypatch.setenv("GENESIS_KAFKA_IDEMPOTENCE", "false")
    config = KafkaConfig(bootstrap=kafka_bootstrap, topic_prefix=prefix, idempotence=False)
    asyncio.run(config.create_topics([config.topic(t) for t in Topic]))
    return config


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, dropped afterwards."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_database(POSTGRES_ADMIN_URL, prefix="genesis_test"))
        except sa.exc.OperationalError as error:
            pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is needed: {error}".splitlines()[0])
        yield url


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """Endpoint URL of an S3-compatible server (moto, its own process) on a free loopback port."""
    from genesis_pipeline_tests.support.s3_server import moto_s3_server

    with moto_s3_server() as endpoint:
        yield endpoint
