"""How `genesis.events` read on the command line: one line per event, in rich markup.

Payloads come from another process (and, in principle, from other producers), so every field is
read defensively: a missing or odd field shows as `?`, it never stops the follower.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from rich.markup import escape

from genesis_pipeline.domain.events import Envelope, EventType

Describe = Callable[[Mapping[str, Any]], str]
MAX_TEXT = 160


def parse_envelope(raw: bytes | None) -> Envelope | None:
    """The envelope of a record, or None for anything that is not one."""
    if raw is None:
        return None
    try:
        return Envelope.model_validate_json(raw)
    except ValidationError:
        return None


def _text(value: object, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(value).split()) if value is not None else "?"
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def _score(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "?"


def _verdict(p: Mapping[str, Any]) -> str:
    if p.get("passed") is True:
        return "[green]passed[/]"
    found = p.get("findings")
    findings: list[Any] = found if isinstance(found, list) else []
    first = findings[0] if findings and isinstance(findings[0], dict) else None
    detail = f": {_text(first.get('field'))}: {_text(first.get('problem'))}" if first else ""
    return f"[red]failed[/] ({len(findings)} finding(s){detail})"


def _stage(p: Mapping[str, Any]) -> str:
    return f"[bold]{_text(p.get('stage'))}[/]"


def _version(p: Mapping[str, Any]) -> str:
    return f"v{_text(p.get('version'))}"


def _first_instruction(p: Mapping[str, Any]) -> str:
    instructions = p.get("instructions")
    if isinstance(instructions, list) and instructions:
        more = f" (+{len(instructions) - 1} more)" if len(instructions) > 1 else ""
        return f" — {_text(instructions[0])}{more}"
    return f" — {_text(instructions)}" if isinstance(instructions, str) and instructions else ""


def _reason(p: Mapping[str, Any]) -> str:
    return f" ({_text(p.get('reason'))})" if p.get("reason") else ""


# One line per event type; the types `--wait` shows are the ones in PROGRESS_TYPES.
DESCRIBE: dict[EventType, Describe] = {
    EventType.SESSION_CREATED: lambda p: (
        f"session created, review {_text(p.get('review_mode'))}: “{_text(p.get('premise'), 60)}”"
    ),
    EventType.STAGE_STARTED: lambda p: f"{_stage(p)} started (attempt {_text(p.get('attempt'))})",
    EventType.AGENT_TASK_REQUESTED: lambda p: (
        f"{_stage(p)} generation requested: {_text(p.get('model'))}, "
        f"prompt {_text(p.get('prompt_version'))}"
    ),
    EventType.AGENT_TASK_COMPLETED: lambda p: (
        f"{_stage(p)} generation done: {_text(p.get('tokens_in'))} → "
        f"{_text(p.get('tokens_out'))} tokens in {_text(p.get('latency_ms'))} ms"
    ),
    EventType.CONTENT_GENERATED: lambda p: (
        f"{_stage(p)} {_version(p)} generated: {_text(p.get('summary'), 80)}"
    ),
    EventType.QUALITY_CHECK_COMPLETED: lambda p: (
        f"{_stage(p)} {_version(p)} quality {_score(p.get('score'))} "
        f"(threshold {_score(p.get('threshold'))}) {_verdict(p)}"
    ),
    EventType.CONSISTENCY_CHECK_REQUESTED: lambda p: (
        f"{_stage(p)} {_version(p)} consistency check requested"
    ),
    EventType.CONSISTENCY_CHECK_COMPLETED: lambda p: (
        f"{_stage(p)} {_version(p)} consistency {_verdict(p)}"
    ),
    EventType.STAGE_REWRITE_REQUESTED: lambda p: (
        f"{_stage(p)} [yellow]rewrite requested[/] ({_text(p.get('reason'))}), "
        f"attempt {_text(p.get('next_attempt'))} next{_first_instruction(p)}"
    ),
    EventType.STAGE_COMPLETED: lambda p: (
        f"{_stage(p)} [green]completed[/] {_version(p)} (quality {_score(p.get('quality_score'))})"
    ),
    EventType.CONTENT_APPROVED: lambda p: (
        f"{_stage(p)} {_version(p)} approved by {_text(p.get('approved_by'))}"
    ),
    EventType.STAGE_FAILED: lambda p: (
        f"{_stage(p)} [red]failed[/] after {_text(p.get('attempts'))} attempt(s): "
        f"{_text(p.get('error_class'))}: {_text(p.get('message'))}"
    ),
    EventType.SESSION_PAUSED: lambda p: f"session [yellow]paused[/]{_reason(p)}",
    EventType.SESSION_RESUMED: lambda p: "session resumed",
    EventType.SESSION_CANCELLED: lambda p: f"session [red]cancelled[/]{_reason(p)}",
    EventType.SESSION_COMPLETED: lambda p: (
        f"session [green]completed[/]: bible at {_text(p.get('bible_location'), 400)}"
    ),
}

# What `session new --wait` shows: the stage's life, not every generation call.
PROGRESS_TYPES = frozenset(DESCRIBE) - {
    EventType.AGENT_TASK_REQUESTED,
    EventType.AGENT_TASK_COMPLETED,
    EventType.CONTENT_GENERATED,
    EventType.CONSISTENCY_CHECK_REQUESTED,
}


def describe(envelope: Envelope) -> str:
    """The event's key payload fields as one line of rich markup."""
    try:
        describe_type = DESCRIBE[EventType(envelope.event_type)]
    except (ValueError, KeyError):
        return _text(json.dumps(envelope.payload, ensure_ascii=False))
    return describe_type(envelope.payload)


def tail_line(envelope: Envelope) -> str:
    at = envelope.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"[dim]{at}[/] [cyan]{escape(envelope.session_id)}[/] "
        f"{escape(envelope.event_type)}  {describe(envelope)}"
    )


def progress_line(envelope: Envelope) -> str | None:
    """The line `--wait` prints for this event, or None for events it leaves out."""
    if envelope.event_type not in PROGRESS_TYPES:
        return None
    at = envelope.occurred_at.astimezone().strftime("%H:%M:%S")
    return f"[dim]{at}[/] {describe(envelope)}"
