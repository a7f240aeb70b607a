"""Follow topics as they grow: the reading side of `genesis events tail` and `session new --wait`.

Manual assignment of every partition and no consumer group, like the sensors: a person watching
must neither take partitions from the pipeline's consumers nor leave committed offsets behind.
"""

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition

from genesis_pipeline.messaging.kafka import KafkaConfig, Record

# How long one poll waits for new records: short enough that a follower notices its own
# deadline soon, long enough not to spin on an idle topic.
POLL_MS = 500
# A topic nobody has published to yet does not exist; it is looked for again this often.
MISSING_TOPIC_RETRY_S = 1.0


async def follow(
    config: KafkaConfig, topics: Sequence[str], *, from_beginning: bool
) -> AsyncGenerator[Record, None]:
    """Yield every record of `topics` from their beginning or from now on, until closed.

    Connecting is bounded by `config.timeout_s` and raises `KafkaUnavailableError`; after that
    the consumer rides out broker hiccups on its own, so bound the whole follow with a timeout
    when it must end. Close it (`contextlib.aclosing`) to stop the consumer.

    "From now on" is the end offset the broker reports. The local Tansu broker reports the base
    offset of a partition's last batch + 1, so there the follow may begin with the rest of the
    last batch; a real Kafka cluster reports the true end.
    """
    consumer = config.consumer()
    try:
        await config.bounded(consumer.start(), "connecting the consumer")
        assigned = await _assign_new(config, consumer, topics, [])
        if assigned and from_beginning:
            await config.bounded(consumer.seek_to_beginning(*assigned), "seeking")
        elif assigned:
            await config.bounded(consumer.seek_to_end(*assigned), "seeking")
        looked_at = time.monotonic()
        while True:
            if len({tp.topic for tp in assigned}) < len(set(topics)):
                if time.monotonic() - looked_at >= MISSING_TOPIC_RETRY_S:
                    assigned = await _assign_new(config, consumer, topics, assigned)
                    looked_at = time.monotonic()
                if not assigned:
                    await asyncio.sleep(MISSING_TOPIC_RETRY_S)
                    continue
            batches = await consumer.getmany(*assigned, timeout_ms=POLL_MS)
            for tp in assigned:
                for message in batches.get(tp, []):
                    yield Record.from_message(message)
    finally:
        await consumer.stop()


async def _assign_new(
    config: KafkaConfig,
    consumer: AIOKafkaConsumer,
    topics: Sequence[str],
    assigned: list[TopicPartition],
) -> list[TopicPartition]:
    """Add the partitions of topics that exist now to the assignment, keeping positions.

    A topic that appears after the follow began holds only records published since, so its
    partitions are read from their beginning whether or not the follow was.
    """
    await config.bounded(consumer.topics(), "reading metadata")  # refreshes the metadata
    new = [
        TopicPartition(topic, partition)
        for topic in dict.fromkeys(topics)
        if topic not in {tp.topic for tp in assigned}
        for partition in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    if not new:
        return assigned
    # `assign` replaces the whole assignment and forgets positions: put them back.
    positions = {tp: await consumer.position(tp) for tp in assigned}
    consumer.assign([*assigned, *new])
    for tp, offset in positions.items():
        consumer.seek(tp, offset)
    if assigned:  # the first assignment is positioned by the caller
        await config.bounded(consumer.seek_to_beginning(*new), "seeking")
    return [*assigned, *new]
