"""`genesis consume`'s lag metric against the real broker: what the consumer has not read yet
of each partition it holds."""

import asyncio

from aiokafka import TopicPartition

from genesis_pipeline.defs.automation.kafka_consumer import ConsumerStats, measure_lag
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage
from genesis_pipeline.messaging.topics import Topic


def test_lag_is_what_the_member_has_not_read_of_each_partition(kafka: KafkaConfig) -> None:
    topic = kafka.topic(Topic.COMMANDS)
    asyncio.run(kafka.publish([OutMessage(topic, b"k", b"{}") for _ in range(5)]))

    async def read_two_then_the_rest() -> tuple[dict[tuple[str, int], int], ...]:
        stats = ConsumerStats()
        consumer = kafka.consumer()  # assigned by hand: a group's first join takes seconds
        await consumer.start()
        consumer.assign([TopicPartition(topic, 0)])
        try:
            seen = []
            for batch, wait_ms in ((2, 10_000), (3, 10_000), (10, 200)):
                await consumer.getmany(timeout_ms=wait_ms, max_records=batch)
                await measure_lag(consumer, stats)
                seen.append(dict(stats.lag))
            return tuple(seen)
        finally:
            await consumer.stop()

    after_two, after_five, nothing_more = asyncio.run(read_two_then_the_rest())

    assert after_two == {(topic, 0): 3}
    assert after_five == nothing_more == {(topic, 0): 0}
