"""The outbox relay: publishes stored events to `genesis.events` (docs/CONTRACT.md §2, §5).

Each batch is one transaction: claim unsent rows, publish them all keyed by session with
`acks=all`, mark them sent and count them (`genesis_events_published_total`), commit. A crash
or a failed publish rolls the marks back, so an event is published at least once and never
lost; consumers dedupe on `event_id`. Rows are published in outbox (id) order, and a session's
rows never overtake an older row another relay still holds (see `Outbox.claim_unsent`), so per
session the topic keeps outbox order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import backoff
import sqlalchemy as sa

from genesis_pipeline.domain.metrics import EVENTS_PUBLISHED
from genesis_pipeline.messaging.codec import encode
from genesis_pipeline.messaging.kafka import (
    IdempotenceUnsupportedError,
    KafkaConfig,
    KafkaUnavailableError,
    OutMessage,
)
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.outbox import ClaimedBatch

if TYPE_CHECKING:  # aiokafka is imported where it is used, like in messaging/kafka.py
    from aiokafka import AIOKafkaProducer

# Measured with benchmarks/relay_throughput.py (2 cores): from 500 to 5,000 rows a batch the
# relay moves 14-28k events/s on SQLite and PostgreSQL alike, while a batch's publish latency
# (and the time it holds SQLite's write lock) grows with its size: 1,000 is about 25-50 ms.
DEFAULT_BATCH_SIZE = 1000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchPublished:
    claimed: int
    published: int
    publish_s: float  # from claiming the rows to the last acknowledgement


class OutboxRelay:
    """Publishes the outbox of `store`; one producer, reused across batches until it fails.

    async with OutboxRelay(store, kafka_config) as relay:
        await relay.drain(time_budget_s=15)
    """

    def __init__(
        self,
        store: GenesisStore,
        kafka_config: KafkaConfig,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_batch: Callable[[BatchPublished], None] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self.store = store
        self.kafka = kafka_config
        self.batch_size = batch_size
        self.topic = kafka_config.topic(Topic.EVENTS)
        self._on_batch = on_batch
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> OutboxRelay:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Start the producer now rather than with the first batch that has rows: says early
        whether the broker answers (`KafkaUnavailableError`) even when nothing is pending."""
        await self._ready_producer()

    async def close(self) -> None:
        from aiokafka.errors import KafkaError

        producer, self._producer = self._producer, None
        if producer is not None:
            # A dead broker can keep `stop()` flushing; the rows are unsent anyway.
            with contextlib.suppress(TimeoutError, KafkaError):
                await asyncio.wait_for(producer.stop(), self.kafka.timeout_s)

    async def relay_batch(self, limit: int | None = None) -> int:
        """Publish up to `limit` unsent events in one transaction; returns how many."""
        return (await self._relay_batch(self.batch_size if limit is None else limit)).published

    async def drain(self, max_rows: int | None = None, time_budget_s: float | None = None) -> int:
        """Publish batches until nothing more can be published now, `max_rows` were published
        or `time_budget_s` has passed (checked between batches); returns how many."""
        started = time.monotonic()
        total = 0
        while max_rows is None or total < max_rows:
            if time_budget_s is not None and time.monotonic() - started >= time_budget_s:
                break
            limit = self.batch_size if max_rows is None else min(self.batch_size, max_rows - total)
            published = await self.relay_batch(limit)
            total += published
            # Nothing published: the outbox is empty, or the rows left wait behind another
            # relay's older rows and that relay will go on to publish them.
            if published == 0:
                break
        return total

    async def run(
        self,
        stop: asyncio.Event,
        *,
        poll_interval_s: float = 0.5,
        first_retry_s: float = 0.5,
        max_retry_s: float = 30.0,
        report_every_s: float = 5.0,
    ) -> None:
        """Relay until `stop` is set. While the broker (or the store) is unavailable, retry
        with exponential backoff and full jitter, so that many relays coming back at once do
        not hammer the broker together. A refused idempotent producer is a configuration
        mistake that retrying cannot fix: it is raised."""
        failures = 0
        delays = _retry_delays(first_retry_s, max_retry_s)
        unreported, since_start, reported_at = 0, 0, time.monotonic()
        # Batch by batch rather than `drain`, so that `stop` is honoured after the batch in
        # flight even in a long backlog.
        while not stop.is_set():
            try:
                batch = await self._relay_batch(self.batch_size)
            except IdempotenceUnsupportedError:
                raise
            except (KafkaUnavailableError, sa.exc.OperationalError) as error:
                failures += 1
                delay = backoff.full_jitter(next(delays))
                what = "broker" if isinstance(error, KafkaUnavailableError) else "genesis store"
                reason = str(error).splitlines()[0]
                log.warning(
                    f"{what} unavailable (attempt {failures}): {reason}; retrying in {delay:.1f}s"
                )
                await _wait(stop, delay)
                continue
            if failures:
                log.info(f"publishing again after {failures} failed attempt(s)")
                failures = 0
                delays = _retry_delays(first_retry_s, max_retry_s)
            unreported += batch.published
            idle = batch.published == 0
            if unreported and (idle or time.monotonic() - reported_at >= report_every_s):
                since_start += unreported
                log.info(
                    f"published {unreported} event(s) to {self.topic} ({since_start} since start)"
                )
                unreported, reported_at = 0, time.monotonic()
            if idle:
                await _wait(stop, poll_interval_s)
        if unreported:
            log.info(f"published {unreported} event(s) to {self.topic} before stopping")

    async def _relay_batch(self, limit: int) -> BatchPublished:
        if self._producer is None:
            # Connect before claiming, so the rows (SQLite: the write lock) are not held while
            # connecting; and not at all when there is nothing to publish.
            with self.store.read() as r:
                if not r.outbox.has_unsent():
                    return BatchPublished(claimed=0, published=0, publish_s=0.0)
        try:
            producer = await self._ready_producer()
            with self.store.unit_of_work() as uow:
                claimed_at = time.perf_counter()
                batch = uow.outbox.claim_unsent(limit)
                if batch.events:
                    await self._publish(producer, batch)
                    uow.outbox.mark_sent([event.id for event in batch.events])
                    uow.metric_totals.add(
                        EVENTS_PUBLISHED,
                        Counter((event.envelope.event_type,) for event in batch.events),
                    )
                acked_s = time.perf_counter() - claimed_at
                uow.commit()
        except KafkaUnavailableError:
            await self.close()  # rebuilt on the next batch: a fresh connection and metadata
            raise
        result = BatchPublished(batch.claimed, len(batch.events), acked_s)
        if self._on_batch is not None and result.published:
            self._on_batch(result)
        return result

    async def _ready_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            self._producer = await self.kafka.start_producer()
        return self._producer

    async def _publish(self, producer: AIOKafkaProducer, batch: ClaimedBatch) -> None:
        from aiokafka.errors import KafkaError

        messages = [
            OutMessage(self.topic, key=event.session_id.encode(), value=encode(event.envelope))
            for event in batch.events
        ]
        try:
            await self.kafka.send_batch(producer, messages)
        except KafkaError as error:  # raised by `send` itself, e.g. no metadata for the topic
            raise KafkaUnavailableError(
                f"publishing to {self.topic} at {self.kafka.bootstrap}: {error!r}"
            ) from error


async def relay_pending(
    store: GenesisStore,
    kafka_config: KafkaConfig,
    *,
    time_budget_s: float | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Publish what is pending now with a producer of its own (sensor ticks, `relay --once`)."""
    async with OutboxRelay(store, kafka_config, batch_size=batch_size) as relay:
        return await relay.drain(time_budget_s=time_budget_s)


def _retry_delays(first_s: float, max_s: float) -> Generator[float, Any, None]:
    delays = backoff.expo(factor=first_s, max_value=max_s)
    next(delays)  # backoff's generators start with a bare `yield` for its decorators
    return delays


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake up as soon as `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
