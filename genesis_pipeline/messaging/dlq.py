"""Dead letters: a rejected inbound message goes to `genesis.dlq` as it arrived (same key and
value, so it can be replayed once fixed), with the reason and its coordinates in headers.
An oversize message is not copied; its coordinates say where to find it."""

from collections import Counter
from collections.abc import Iterable

from genesis_pipeline.domain.inbound import Rejected
from genesis_pipeline.messaging.codec import MAX_MESSAGE_BYTES
from genesis_pipeline.messaging.kafka import OutMessage, Record

REASON_HEADER = "genesis.dlq.reason"
DETAIL_HEADER = "genesis.dlq.detail"
SOURCE_TOPIC_HEADER = "genesis.dlq.topic"


def dead_letter(record: Record, rejected: Rejected, *, dlq_topic: str) -> OutMessage:
    headers: tuple[tuple[str, bytes], ...] = (
        (REASON_HEADER, rejected.reason.value.encode()),
        (DETAIL_HEADER, rejected.detail[:2000].encode()),
        (SOURCE_TOPIC_HEADER, record.topic.encode()),
        ("genesis.dlq.partition", str(record.partition).encode()),
        ("genesis.dlq.offset", str(record.offset).encode()),
        ("genesis.dlq.timestamp_ms", str(record.timestamp_ms).encode()),
    )
    value = record.value or b""
    if len(value) > MAX_MESSAGE_BYTES:  # too big to forward: its coordinates say where it is
        value, headers = b"", (*headers, ("genesis.dlq.value_dropped", str(len(value)).encode()))
    return OutMessage(topic=dlq_topic, key=record.key, value=value, headers=headers)


def dead_letter_counts(messages: Iterable[OutMessage]) -> Counter[tuple[str, ...]]:
    """Dead letters by the topic they came from and their reason: `genesis_dlq_messages`."""
    counts: Counter[tuple[str, ...]] = Counter()
    for message in messages:
        headers = dict(message.headers)
        counts[headers[SOURCE_TOPIC_HEADER].decode(), headers[REASON_HEADER].decode()] += 1
    return counts
