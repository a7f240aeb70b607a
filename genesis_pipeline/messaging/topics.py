"""The four topics of docs/CONTRACT.md §2, with the optional prefix."""

from enum import StrEnum


class Topic(StrEnum):
    COMMANDS = "genesis.commands"
    FEEDBACK = "genesis.feedback"
    EVENTS = "genesis.events"
    DLQ = "genesis.dlq"


def topic_name(topic: Topic, prefix: str = "") -> str:
    return f"{prefix}{topic.value}"
