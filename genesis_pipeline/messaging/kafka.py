"""Kafka on aiokafka: connection settings, bounded timeouts, batched publish, manual-assignment
fetch. Every call is bounded by `timeout_s`, so a sensor tick never hangs on a dead broker.

aiokafka is imported where a client is built or its errors are caught, so that loading the code
location does not load it (docs/ARCHITECTURE.md §3)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from genesis_pipeline.messaging.topics import Topic, topic_name
from genesis_pipeline.settings import GenesisSettings

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.structs import ConsumerRecord

T = TypeVar("T")


class KafkaUnavailableError(ConnectionError):
    """The broker did not answer in time, or refused what we asked; safe to retry later."""


class IdempotenceUnsupportedError(KafkaUnavailableError):
    pass


IDEMPOTENCE_HINT = (
    "the broker refused the idempotent producer (InitProducerId). The local Tansu broker does "
    "not support it: set GENESIS_KAFKA_IDEMPOTENCE=false (`genesis dev` does this for you)"
)


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int
    headers: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def from_message(cls, message: ConsumerRecord[bytes, bytes]) -> Record:
        return cls(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=message.key,
            value=message.value,
            timestamp_ms=message.timestamp,
            headers=tuple((k, v) for k, v in (message.headers or ())),
        )


@dataclass(frozen=True)
class OutMessage:
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True)
class Fetched:
    records: list[Record]
    next_offsets: dict[int, int]
    lag: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class KafkaConfig:
    bootstrap: str
    topic_prefix: str = ""
    idempotence: bool = True
    timeout_s: float = 10.0
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None

    @classmethod
    def from_settings(
        cls, settings: GenesisSettings | None = None, **overrides: Any
    ) -> KafkaConfig:
        s = settings or GenesisSettings()
        values: dict[str, Any] = dict(
            bootstrap=s.kafka_bootstrap,
            topic_prefix=s.topic_prefix,
            idempotence=s.kafka_idempotence,
            timeout_s=s.kafka_timeout_s,
            security_protocol=s.kafka_security_protocol,
            sasl_mechanism=s.kafka_sasl_mechanism,
            sasl_username=s.kafka_sasl_username,
            sasl_password=s.kafka_sasl_password,
            ssl_cafile=s.kafka_ssl_cafile,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def topic(self, topic: Topic) -> str:
        return topic_name(topic, self.topic_prefix)

    def _common(self) -> dict[str, Any]:
        options: dict[str, Any] = dict(
            bootstrap_servers=self.bootstrap,
            request_timeout_ms=int(self.timeout_s * 1000),
            security_protocol=self.security_protocol,
            retry_backoff_ms=100,
        )
        if self.sasl_mechanism:
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        if self.security_protocol in ("SSL", "SASL_SSL"):
            from aiokafka.helpers import create_ssl_context

            options["ssl_context"] = create_ssl_context(cafile=self.ssl_cafile)
        return options

    def producer(self, **options: Any) -> AIOKafkaProducer:
        from aiokafka import AIOKafkaProducer

        return AIOKafkaProducer(
            acks="all",
            enable_idempotence=self.idempotence,
            linger_ms=5,
            max_batch_size=1024 * 1024,
            **self._common(),
            **options,
        )

    def consumer(self, group_id: str | None = None) -> AIOKafkaConsumer:
        """Manual assignment (offsets live in a sensor's cursor), or a member of `group_id`
        whose offsets the broker keeps; either way committed only by us."""
        from aiokafka import AIOKafkaConsumer

        return AIOKafkaConsumer(
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
            **self._common(),
        )

    async def bounded(self, awaitable: Awaitable[T], what: str, *, timeout: bool = True) -> T:
        """`awaitable` within the config's timeout (or, `timeout=False`, as long as it takes),
        with Kafka's errors as `KafkaUnavailableError`."""
        from aiokafka.errors import KafkaError

        try:
            return await asyncio.wait_for(awaitable, self.timeout_s if timeout else None)
        except TimeoutError:
            raise KafkaUnavailableError(
                f"{what}: no answer from {self.bootstrap} within {self.timeout_s:g}s"
            ) from None
        except KafkaError as error:
            # aiokafka reports the refused InitProducerId as a bare UnknownError.
            if self.idempotence and type(error).__name__ == "UnknownError":
                raise IdempotenceUnsupportedError(IDEMPOTENCE_HINT) from error
            raise KafkaUnavailableError(f"{what} at {self.bootstrap}: {error!r}") from error

    async def start_producer(self, **options: Any) -> AIOKafkaProducer:
        producer = self.producer(**options)
        try:
            await self.bounded(producer.start(), "connecting the producer")
        except BaseException:
            await producer.stop()
            raise
        return producer

    async def send_batch(self, producer: AIOKafkaProducer, messages: Sequence[OutMessage]) -> None:
        """Hand the whole batch to the producer, then wait for every acknowledgement once."""
        futures = [
            await producer.send(m.topic, m.value, key=m.key, headers=list(m.headers) or None)
            for m in messages
        ]
        await self.bounded(asyncio.gather(*futures), f"publishing {len(messages)} message(s)")

    async def publish(self, messages: Sequence[OutMessage]) -> None:
        if not messages:
            return
        producer = await self.start_producer()
        try:
            await self.send_batch(producer, messages)
        finally:
            await producer.stop()

    async def fetch(self, topic: str, offsets: Mapping[int, int], *, max_records: int) -> Fetched:
        """Read up to `max_records` from each partition's stored offset (earliest when new)."""
        from aiokafka import TopicPartition

        consumer = self.consumer()
        try:
            await self.bounded(consumer.start(), "connecting the consumer")
            partitions = await self.bounded(self._partitions(consumer, topic), "reading metadata")
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                return Fetched(records=[], next_offsets=dict(offsets))
            consumer.assign(tps)
            for tp in tps:
                if tp.partition in offsets:
                    consumer.seek(tp, offsets[tp.partition])
                else:
                    await self.bounded(consumer.seek_to_beginning(tp), "seeking")
            batches = await self.bounded(
                consumer.getmany(*tps, timeout_ms=200, max_records=max_records), "fetching"
            )
            records = [Record.from_message(m) for tp in tps for m in batches.get(tp, [])]
            next_offsets = dict(offsets)
            for record in records:
                next_offsets[record.partition] = record.offset + 1
            ends = await self.bounded(consumer.end_offsets(tps), "reading end offsets")
            lag = {tp.partition: max(0, ends[tp] - next_offsets.get(tp.partition, 0)) for tp in tps}
            return Fetched(records=records, next_offsets=next_offsets, lag=lag)
        finally:
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer, topic: str) -> set[int]:
        await consumer.topics()  # refreshes metadata for every topic
        return set(consumer.partitions_for_topic(topic) or ())

    async def create_topics(self, topics: Sequence[str], *, partitions: int = 1) -> None:
        """Create the topics that do not exist yet (the local broker, tests)."""
        from aiokafka.admin import AIOKafkaAdminClient, NewTopic

        admin = AIOKafkaAdminClient(**self._common())
        await self.bounded(admin.start(), "connecting the admin client")
        try:
            existing = set(await self.bounded(admin.list_topics(), "listing topics"))
            missing = [
                NewTopic(t, num_partitions=partitions, replication_factor=1)
                for t in topics
                if t not in existing
            ]
            if missing:
                await self.bounded(admin.create_topics(missing), "creating topics")
        finally:
            await admin.close()
