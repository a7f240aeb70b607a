"""Dead letters: a rejected inbound message goes to `genesis.dlq` as it arrived (same key and
value, so it can be replayed once fixed), with the reason and its coordinates in headers."""

from genesis_pipeline.domain.inbound import Rejected
from genesis_pipeline.messaging.kafka import OutMessage, Record

REASON_HEADER = "genesis.dlq.reason"
DETAIL_HEADER = "genesis.dlq.detail"


def dead_letter(record: Record, rejected: Rejected, *, dlq_topic: str) -> OutMessage:
    headers = (
        (REASON_HEADER, rejected.reason.value.encode()),
        (DETAIL_HEADER, rejected.detail[:2000].encode()),
        ("genesis.dlq.topic", record.topic.encode()),
        ("genesis.dlq.partition", str(record.partition).encode()),
        ("genesis.dlq.offset", str(record.offset).encode()),
        ("genesis.dlq.timestamp_ms", str(record.timestamp_ms).encode()),
    )
    return OutMessage(topic=dlq_topic, key=record.key, value=record.value or b"", headers=headers)
