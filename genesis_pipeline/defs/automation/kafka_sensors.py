"""`genesis_commands_sensor` and `genesis_feedback_sensor`: Kafka in (docs/CONTRACT.md §4, §8).

Each tick reads a bounded batch from the offsets in its cursor (manual assignment, no consumer
group), applies every message through the handler table, sends what it rejects to the DLQ, and
returns the new offsets with its run requests in one `SensorResult`. A tick that fails
returns nothing, so the next one reads the same messages again; the inbox and run keys built
from event ids make each event take effect once.
"""

import asyncio
from collections.abc import Collection, Mapping

import dagster as dg

from genesis_pipeline.defs.automation.inbound_handlers import (
    COMMAND_HANDLERS,
    FEEDBACK_HANDLERS,
    Effects,
    Handler,
    HandlerContext,
)
from genesis_pipeline.defs.automation.jobs import IN_FLIGHT, QUEUED, genesis_session_job
from genesis_pipeline.defs.automation.sensors import revision_run_requests
from genesis_pipeline.defs.resources import GenesisStoreResource, KafkaResource
from genesis_pipeline.defs.stages.partitions import GENESIS_SESSION_PARTITIONS, genesis_sessions
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.inbound import Rejected
from genesis_pipeline.messaging.codec import decode
from genesis_pipeline.messaging.cursor import read_offsets, write_offsets
from genesis_pipeline.messaging.dlq import dead_letter
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service.planner import PARTITION_TAG
from genesis_pipeline.store.genesis_store import GenesisStore

BATCH = 500  # messages per tick: bounded so a tick stays far below the 60 s sensor timeout


def consume(
    context: dg.SensorEvaluationContext,
    *,
    topic: Topic,
    handlers: Mapping[EventType, Handler],
    store: GenesisStore,
    kafka: KafkaConfig,
) -> dg.SensorResult | dg.SkipReason:
    offsets = read_offsets(context.cursor)
    fetched = asyncio.run(kafka.fetch(kafka.topic(topic), offsets, max_records=BATCH))
    lag = sum(fetched.lag.values())
    if not fetched.records:
        return dg.SkipReason(f"no new messages on {kafka.topic(topic)} (lag {lag})")
    context.log.info(f"{kafka.topic(topic)}: {len(fetched.records)} message(s), lag {lag}")

    handler_context = HandlerContext(store=store)
    effects = Effects()
    dead = []
    for record in fetched.records:
        try:
            message = decode(record.value, accepted=handlers.keys())
            handlers[message.event_type](message, handler_context, effects)
        except Rejected as rejected:
            context.log.warning(
                f"{record.topic}[{record.partition}]@{record.offset} → DLQ: {rejected}"
            )
            dead.append(dead_letter(record, rejected, dlq_topic=kafka.topic(Topic.DLQ)))
    asyncio.run(kafka.publish(dead))  # before the cursor moves past them

    _stop_runs(context.instance, effects.stop_runs)
    for evaluation in effects.approvals:
        context.instance.report_runless_asset_event(evaluation)
    run_requests = effects.run_requests + revision_run_requests(
        context.instance, store, effects.revised_sessions
    )
    # A message delivered twice in one batch asks for its run twice: one request per key.
    unique = {request.run_key: request for request in run_requests}
    return dg.SensorResult(
        run_requests=list(unique.values()),
        dynamic_partitions_requests=_new_partitions(context.instance, effects.new_partitions),
        cursor=write_offsets(fetched.next_offsets),
    )


def _new_partitions(
    instance: dg.DagsterInstance, keys: Collection[str]
) -> list[dg.AddDynamicPartitionsRequest]:
    # Adding a key twice in one result is an error; a redelivered request names a known key.
    new = [
        key
        for key in dict.fromkeys(keys)
        if not instance.has_dynamic_partition(GENESIS_SESSION_PARTITIONS, key)
    ]
    return [genesis_sessions.build_add_request(new)] if new else []


def _stop_runs(instance: dg.DagsterInstance, sessions: Mapping[str, bool]) -> None:
    """Pause cancels a session's queued runs; cancel also terminates the ones in flight."""
    for session_id, in_flight_too in sessions.items():
        statuses = list(IN_FLIGHT if in_flight_too else QUEUED)
        runs = instance.get_run_records(
            dg.RunsFilter(tags={PARTITION_TAG: session_id}, statuses=statuses)
        )
        for record in runs:
            instance.run_coordinator.cancel_run(record.dagster_run.run_id)


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
