"""`genesis_outbox_relay_sensor`: the outbox to `genesis.events` from the daemon
(docs/CONTRACT.md §8).

The `genesis relay` process does the same job; both can run at once (the store keeps them
from publishing the same rows or reordering a session).
"""

import asyncio

import dagster as dg

from genesis_pipeline.defs.resources import GenesisStoreResource, KafkaResource
from genesis_pipeline.messaging.kafka import IdempotenceUnsupportedError, KafkaUnavailableError
from genesis_pipeline.messaging.relay import relay_pending
from genesis_pipeline.messaging.topics import Topic

# Batches stop being started after this; with one batch and a connection each bounded by the
# Kafka timeout (10 s by default) a tick stays far below the 60 s sensor timeout.
TICK_BUDGET_S = 15.0


@dg.sensor(
    name="genesis_outbox_relay_sensor",
    minimum_interval_seconds=2,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Publishes the outbox to genesis.events: every stored domain event, at least once, "
        "keyed by session, in outbox order per session. Rows are marked sent only after the "
        "broker acknowledged them; while the broker is down they wait for the next tick."
    ),
)
def genesis_outbox_relay_sensor(
    context: dg.SensorEvaluationContext, genesis_store: GenesisStoreResource, kafka: KafkaResource
) -> dg.SkipReason:
    config = kafka.config
    try:
        published = asyncio.run(
            relay_pending(genesis_store.store, config, time_budget_s=TICK_BUDGET_S)
        )
    except IdempotenceUnsupportedError as error:
        context.log.error(f"outbox relay misconfigured: {error}")
        return dg.SkipReason(f"outbox not published, misconfigured producer: {error}")
    except KafkaUnavailableError as error:
        # A down broker is an expected state, not a failed tick: the rows stay for the next one.
        reason = str(error).splitlines()[0]
        context.log.warning(f"outbox relay: broker unavailable: {reason}")
        return dg.SkipReason(f"broker unavailable, outbox kept for the next tick: {reason}")
    return dg.SkipReason(f"published {published} event(s) to {config.topic(Topic.EVENTS)}")
