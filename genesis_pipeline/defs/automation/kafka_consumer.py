"""`genesis consume`: Kafka in through a consumer group, the push twin of the Kafka sensors.

The sensors wait for Dagster's sensor loop (docs/decisions/0004-sensor-latency-floor.md); this
process reads `genesis.commands` and `genesis.feedback` as soon as messages arrive, applies
them through the same handler table (`inbound_handlers`), and submits the runs they ask for at
once through the Dagster webserver's GraphQL API, with the same tags, priorities and run keys.

Delivery is at least once, effect exactly once:
- offsets are committed only after a batch's effects are stored, its dead letters published
  and its runs submitted; a crash in between redelivers the batch;
- the inbox makes each `event_id` take effect once, and a run is submitted only when no run
  carries its run key (built from the event id) in the `dagster/run_key` tag;
- a rebalance waits for the batch in hand to be committed before partitions move, so two
  members of one group never apply the same batch at once.
A batch that fails (database, broker or webserver away) is read again after a back-off.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import dagster as dg

from genesis_pipeline.defs.automation.inbound_handlers import (
    COMMAND_HANDLERS,
    FEEDBACK_HANDLERS,
    Applied,
    Effects,
    Handler,
    HandlerContext,
    apply_records,
    carry_out,
    publish_dead_letters,
)
from genesis_pipeline.defs.automation.jobs import genesis_session_job
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.messaging.kafka import KafkaConfig, Record
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service.planner import PARTITION_TAG
from genesis_pipeline.store.genesis_store import GenesisStore

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.structs import ConsumerRecord

    Fetched = Mapping[TopicPartition, list[ConsumerRecord[bytes, bytes]]]

log = logging.getLogger("genesis.consume")

RUN_KEY_TAG = "dagster/run_key"
BATCH = 500
MAX_BACKOFF_S = 30.0
RETRY_HELD_S = 1.0  # like a sensor tick: a message whose handler raised is tried again
TOPIC_HANDLERS: Mapping[Topic, Mapping[EventType, Handler]] = {
    Topic.COMMANDS: COMMAND_HANDLERS,
    Topic.FEEDBACK: FEEDBACK_HANDLERS,
}


class RunSubmitter:
    """Starts runs through the webserver's GraphQL API, at most one per run key."""

    def __init__(self, instance: dg.DagsterInstance, dagster_url: str) -> None:
        from dagster_graphql import DagsterGraphQLClient

        url = urlsplit(dagster_url if "//" in dagster_url else f"http://{dagster_url}")
        self.instance = instance
        self.client = DagsterGraphQLClient(
            url.hostname or "127.0.0.1",
            port_number=url.port,
            use_https=url.scheme == "https",
            timeout=30,
        )

    def submit(self, request: dg.RunRequest) -> str | None:
        """The new run's id; None when a run with this key exists (a redelivered message)."""
        assert request.run_key is not None and request.partition_key is not None
        if self.instance.get_run_ids(dg.RunsFilter(tags={RUN_KEY_TAG: request.run_key}), limit=1):
            return None
        return self.client.submit_job_execution(
            genesis_session_job.name,
            tags={
                **request.tags,
                PARTITION_TAG: request.partition_key,
                RUN_KEY_TAG: request.run_key,
            },
            asset_selection=[key.path for key in request.asset_selection or ()],
        )


@dataclass
class ConsumerStats:
    """What this consumer alone knows, for its metrics (`domain.metrics.CONSUMER_FIGURES`)."""

    # (topic, partition) → messages not applied yet, for the partitions assigned now
    lag: dict[tuple[str, int], int] = field(default_factory=dict)
    # topic → messages read and committed (dead letters included)
    messages: Counter[str] = field(default_factory=Counter)
    runs_submitted: int = 0


@dataclass
class BatchResult:
    applied: int
    dead: int
    # (topic, partition) → the offset of a message whose handler raised: read again from there
    held: dict[tuple[str, int], int]
    runs: list[str]


class InboundConsumer:
    """Applies batches of records and carries out their effects on the Dagster instance."""

    def __init__(
        self,
        kafka: KafkaConfig,
        store: GenesisStore,
        instance: dg.DagsterInstance,
        submitter: RunSubmitter,
        *,
        max_attempts: int,
    ) -> None:
        self.kafka = kafka
        self.max_attempts = max_attempts
        self.context = HandlerContext(store=store)
        self.instance = instance
        self.submitter = submitter
        self.handlers = {kafka.topic(t): h for t, h in TOPIC_HANDLERS.items()}
        self.stats = ConsumerStats()

    def apply(self, records: Sequence[Record], effects: Effects) -> Applied:
        applied = Applied()
        for topic, handlers in self.handlers.items():
            one_topic = apply_records(
                [r for r in records if r.topic == topic],
                handlers,
                self.context,
                effects,
                dlq_topic=self.kafka.topic(Topic.DLQ),
                max_attempts=self.max_attempts,
                warn=log.warning,
            )
            applied.took_effect += one_topic.took_effect
            applied.dead += one_topic.dead
            applied.held |= one_topic.held
        return applied

    def start_runs(self, effects: Effects) -> list[str]:
        run_requests = carry_out(self.instance, self.context, effects)
        return [run_id for r in run_requests if (run_id := self.submitter.submit(r)) is not None]

    async def handle(self, records: Sequence[Record]) -> BatchResult:
        effects = Effects()
        applied = await asyncio.to_thread(self.apply, records, effects)
        await publish_dead_letters(self.kafka, self.context.store, applied.dead)
        runs = await asyncio.to_thread(self.start_runs, effects)
        return BatchResult(
            applied=applied.took_effect,
            dead=len(applied.dead),
            held=applied.held,
            runs=runs,
        )


async def consume_until(
    stop: asyncio.Event, inbound: InboundConsumer, group_id: str, *, batch: int = BATCH
) -> None:
    """Consume until `stop` is set; the batch in hand is finished and committed first."""
    from aiokafka import ConsumerRebalanceListener

    kafka = inbound.kafka
    in_hand = asyncio.Lock()

    class FinishBatchFirst(ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked: "set[TopicPartition]") -> None:
            async with in_hand:  # the batch being applied is committed before partitions move
                pass

        async def on_partitions_assigned(self, assigned: "set[TopicPartition]") -> None:
            names = ", ".join(sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))
            log.info(f"assigned {names or 'no partitions'}")

    consumer = kafka.consumer(group_id)
    consumer.subscribe(list(inbound.handlers), listener=FinishBatchFirst())
    log.info(f"joining group {group_id!r} on {', '.join(inbound.handlers)} at {kafka.bootstrap}")
    failures = 0
    try:
        # Not bounded: it returns once the group has assigned partitions, which waits for a
        # member that died without leaving to time out (the group's session timeout).
        await kafka.bounded(consumer.start(), "joining the consumer group", timeout=False)
        while not stop.is_set():
            fetched = await consumer.getmany(timeout_ms=500, max_records=batch)
            if not fetched:
                await measure_lag(consumer, inbound.stats)
                continue
            async with in_hand:
                try:
                    held = await _handle_and_commit(inbound, consumer, fetched)
                    failures = 0
                except Exception as error:  # retried after a back-off; the operator sees one line
                    failures += 1
                    backoff = min(MAX_BACKOFF_S, 0.5 * 2**failures)
                    log.error(f"batch not applied, read again in {backoff:g}s: {error!r}")
                    for tp, messages in fetched.items():
                        consumer.seek(tp, messages[0].offset)
                    await _sleep_unless(stop, backoff)
                    continue
            await measure_lag(consumer, inbound.stats)
            if held:  # a message whose handler raised is read again after a pause
                await _sleep_unless(stop, RETRY_HELD_S)
    finally:
        await consumer.stop()


async def _handle_and_commit(
    inbound: InboundConsumer,
    consumer: "AIOKafkaConsumer",
    fetched: "Fetched",
) -> bool:
    """Apply and commit one batch; True when a partition is held at a message to read again."""
    from aiokafka.errors import CommitFailedError, IllegalStateError

    records = [Record.from_message(m) for messages in fetched.values() for m in messages]
    result = await inbound.handle(records)
    offsets = {
        tp: result.held.get((tp.topic, tp.partition), messages[-1].offset + 1)
        for tp, messages in fetched.items()
    }
    for tp, offset in offsets.items():
        if (tp.topic, tp.partition) in result.held:
            consumer.seek(tp, offset)
    try:
        await consumer.commit(offsets)
    except (CommitFailedError, IllegalStateError) as error:
        # The partitions moved to another member, which reads them again: their effects and
        # runs are in place already, so it starts nothing new.
        log.warning(f"offsets not committed after a rebalance: {error!r}")
    else:
        for tp, messages in fetched.items():
            inbound.stats.messages[tp.topic] += offsets[tp] - messages[0].offset
        inbound.stats.runs_submitted += len(result.runs)
    log.info(
        f"{len(records)} message(s): {result.applied} applied, {result.dead} to the DLQ, "
        f"{len(result.runs)} run(s) submitted {' '.join(result.runs)}".rstrip()
    )
    return bool(result.held)


async def measure_lag(consumer: "AIOKafkaConsumer", stats: ConsumerStats) -> None:
    """Each assigned partition's high watermark (from the last fetch) minus this consumer's
    position in it."""
    lag = {}
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is not None:
            lag[tp.topic, tp.partition] = max(0, highwater - await consumer.position(tp))
    stats.lag = lag


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
