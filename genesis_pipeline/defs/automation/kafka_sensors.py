"""`genesis_commands_sensor` and `genesis_feedback_sensor`: Kafka in (docs/CONTRACT.md §4, §8).

Each tick reads a bounded batch from the offsets in its cursor (manual assignment, no consumer
group), applies every message through the handler table, sends what it rejects to the DLQ, and
returns the new offsets with its run requests in one `SensorResult`. A tick that fails
returns nothing, so the next one reads the same messages again; the inbox and run keys built
from event ids make each event take effect once. A message whose handler raises holds its
partition's offset for a few ticks, then goes to the DLQ (`inbound_handlers.apply_records`).
"""

import asyncio
from collections.abc import Mapping

import dagster as dg

from genesis_pipeline.defs.automation.inbound_handlers import (
    COMMAND_HANDLERS,
    FEEDBACK_HANDLERS,
    Effects,
    Handler,
    HandlerContext,
    apply_records,
    carry_out,
    publish_dead_letters,
)
from genesis_pipeline.defs.automation.jobs import genesis_session_job
from genesis_pipeline.defs.resources import GenesisStoreResource, KafkaResource
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.messaging.cursor import read_offsets, write_offsets
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.settings import GenesisSettings
from genesis_pipeline.store.genesis_store import GenesisStore

# When `genesis consume` owns the topics (GENESIS_KAFKA_ENTRY=consumer) the sensors stand aside.
CONSUMER_OWNS_TOPICS = "GENESIS_KAFKA_ENTRY=consumer: `genesis consume` reads this topic"

BATCH = 500  # messages per tick: bounded so a tick stays far below the 60 s sensor timeout


def consume(
    context: dg.SensorEvaluationContext,
    *,
    topic: Topic,
    handlers: Mapping[EventType, Handler],
    store: GenesisStore,
    kafka: KafkaConfig,
) -> dg.SensorResult | dg.SkipReason:
    settings = GenesisSettings()
    if settings.kafka_entry == "consumer":
        return dg.SkipReason(CONSUMER_OWNS_TOPICS)
    offsets = read_offsets(context.cursor)
    fetched = asyncio.run(kafka.fetch(kafka.topic(topic), offsets, max_records=BATCH))
    lag = sum(fetched.lag.values())
    if not fetched.records:
        return dg.SkipReason(f"no new messages on {kafka.topic(topic)} (lag {lag})")
    context.log.info(f"{kafka.topic(topic)}: {len(fetched.records)} message(s), lag {lag}")

    handler_context = HandlerContext(store=store)
    effects = Effects()
    applied = apply_records(
        fetched.records,
        handlers,
        handler_context,
        effects,
        dlq_topic=kafka.topic(Topic.DLQ),
        max_attempts=settings.inbound_max_attempts,
        warn=context.log.warning,
    )
    asyncio.run(publish_dead_letters(kafka, store, applied.dead))  # before the cursor moves
    run_requests = carry_out(context.instance, handler_context, effects)
    next_offsets = {
        partition: applied.next_offset(kafka.topic(topic), partition, offset)
        for partition, offset in fetched.next_offsets.items()
    }
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=write_offsets(next_offsets),
    )


@dg.sensor(
    name="genesis_commands_sensor",
    job=genesis_session_job,
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Consumes genesis.commands: session.requested starts a session (partition, "
        "session.created, one run of all six stages); pause / resume / cancel act on its runs. "
        "Kafka offsets live in this sensor's cursor; rejected messages go to genesis.dlq."
    ),
)
def genesis_commands_sensor(
    context: dg.SensorEvaluationContext, genesis_store: GenesisStoreResource, kafka: KafkaResource
) -> dg.SensorResult | dg.SkipReason:
    return consume(
        context,
        topic=Topic.COMMANDS,
        handlers=COMMAND_HANDLERS,
        store=genesis_store.store,
        kafka=kafka.config,
    )


@dg.sensor(
    name="genesis_feedback_sensor",
    job=genesis_session_job,
    minimum_interval_seconds=1,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Consumes genesis.feedback: accept approves a version (and lets the stages after it "
        "run in review mode human); modify, regenerate and character / world requests become "
        "revision requests, merged into one run per session. Rejected messages go to genesis.dlq."
    ),
)
def genesis_feedback_sensor(
    context: dg.SensorEvaluationContext,
    genesis_store: GenesisStoreResource,
    kafka: KafkaResource,
) -> dg.SensorResult | dg.SkipReason:
    return consume(
        context,
        topic=Topic.FEEDBACK,
        handlers=FEEDBACK_HANDLERS,
        store=genesis_store.store,
        kafka=kafka.config,
    )
