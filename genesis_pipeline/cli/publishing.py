"""What every command that talks to the pipeline over Kafka shares: the session id check, the
Kafka settings and publishing one message (docs/CONTRACT.md §4).

Imports of the messaging stack stay inside the functions: it pulls in Dagster, and
`genesis --help` should not wait for that.
"""

import asyncio
import logging
import uuid
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from genesis_pipeline.cli.common import console, fail_usage, fail_work
from genesis_pipeline.domain.session import check_session_id

if TYPE_CHECKING:
    from genesis_pipeline.domain.events import Envelope, EventType
    from genesis_pipeline.messaging.kafka import KafkaConfig
    from genesis_pipeline.messaging.topics import Topic


def valid_session_id(value: str) -> str:
    try:
        return check_session_id(value)
    except ValueError as error:
        fail_usage(str(error))


def kafka_config() -> "KafkaConfig":
    """The GENESIS_KAFKA_* settings, without the idempotent producer; also quiets aiokafka,
    whose own log lines would repeat (as multi-line noise) what our one-line errors say.

    Idempotence only dedupes a producer's retries, and these commands publish one message
    with a fresh producer whose `event_id` the pipeline dedupes anyway (docs/CONTRACT.md §4).
    Without it the same commands work against the local broker `genesis dev` started in
    another terminal, which refuses the idempotent producer.
    """
    from genesis_pipeline.messaging.kafka import KafkaConfig

    logging.getLogger("aiokafka").addHandler(logging.NullHandler())
    try:
        return KafkaConfig.from_settings(idempotence=False)
    except ValidationError as error:  # a malformed GENESIS_* variable
        first = error.errors()[0]
        name = "GENESIS_" + "_".join(str(p) for p in first["loc"]).upper()
        fail_usage(f"{name}: {first['msg']}")


def publish(config: "KafkaConfig", topic: "Topic", envelope: "Envelope") -> None:
    from genesis_pipeline.messaging.codec import encode
    from genesis_pipeline.messaging.kafka import KafkaUnavailableError, OutMessage

    message = OutMessage(
        topic=config.topic(topic), key=envelope.session_id.encode(), value=encode(envelope)
    )
    try:
        asyncio.run(config.publish([message]))
    except KafkaUnavailableError as error:
        fail_work(f"cannot publish to {message.topic}: {error}")
    console.print(
        f"published {envelope.event_type} for session [bold]{envelope.session_id}[/] "
        f"to {message.topic} (event {envelope.event_id})",
        highlight=False,
        soft_wrap=True,
    )


def session_correlation_id(session_id: str) -> str:
    """The session's own correlation id when the genesis store here knows it, else a new one.

    Best effort: the pipeline takes feedback without it (and rejects an unknown session to the
    DLQ itself), so a store that is absent or unreachable from this machine is not an error.
    A SQLite store that does not exist is not created just to look.
    """
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from genesis_pipeline.settings import GenesisSettings

    try:
        url = GenesisSettings().resolved_database_url()
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
            return str(uuid.uuid4())
        from genesis_pipeline.store.genesis_store import GenesisStore

        with GenesisStore(url).read() as r:
            session = r.sessions.get(session_id)
    except Exception:  # any driver or settings error: fall back, as documented above
        return str(uuid.uuid4())
    return session.correlation_id if session is not None else str(uuid.uuid4())


def publish_for_session(
    topic: "Topic", event_type: "EventType", session_id: str, payload: dict[str, Any]
) -> None:
    """One message about `session_id` to `topic`, under the session's correlation id."""
    from genesis_pipeline.domain.events import new_event

    envelope = new_event(
        event_type,
        session_id=session_id,
        correlation_id=session_correlation_id(session_id),
        payload=payload,
    )
    publish(kafka_config(), topic, envelope)
