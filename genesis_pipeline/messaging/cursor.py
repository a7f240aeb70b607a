"""Kafka offsets kept in a sensor's cursor (docs/ARCHITECTURE.md principle 3): partition →
next offset."""

import json


def read_offsets(cursor: str | None) -> dict[int, int]:
    if not cursor:
        return {}
    return {int(partition): int(offset) for partition, offset in json.loads(cursor).items()}


def write_offsets(offsets: dict[int, int]) -> str:
    return json.dumps({str(p): o for p, o in sorted(offsets.items())})
