"""The event envelope and event types of docs/CONTRACT.md §3–5."""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class EventType(StrEnum):
    # inbound: genesis.commands
    SESSION_REQUESTED = "genesis.session.requested"
    SESSION_PAUSE_REQUESTED = "genesis.session.pause_requested"
    SESSION_RESUME_REQUESTED = "genesis.session.resume_requested"
    SESSION_CANCEL_REQUESTED = "genesis.session.cancel_requested"
    # inbound: genesis.feedback
    FEEDBACK_SUBMITTED = "genesis.feedback.submitted"
    CHARACTER_REQUESTED = "genesis.character.requested"
    WORLDVIEW_ELEMENT_REQUESTED = "genesis.worldview.element.requested"
    # outbound: genesis.events
    SESSION_CREATED = "genesis.session.created"
    STAGE_STARTED = "genesis.stage.started"
    AGENT_TASK_REQUESTED = "genesis.agent.task.requested"
    AGENT_TASK_COMPLETED = "genesis.agent.task.completed"
    CONTENT_GENERATED = "genesis.content.generated"
    QUALITY_CHECK_COMPLETED = "genesis.quality.check.completed"
    CONSISTENCY_CHECK_REQUESTED = "genesis.consistency.check.requested"
    CONSISTENCY_CHECK_COMPLETED = "genesis.consistency.check.completed"
    STAGE_REWRITE_REQUESTED = "genesis.stage.rewrite_requested"
    STAGE_COMPLETED = "genesis.stage.completed"
    CONTENT_APPROVED = "genesis.content.approved"
    STAGE_FAILED = "genesis.stage.failed"
    SESSION_PAUSED = "genesis.session.paused"
    SESSION_RESUMED = "genesis.session.resumed"
    SESSION_CANCELLED = "genesis.session.cancelled"
    SESSION_COMPLETED = "genesis.session.completed"
    # outbound: a finished session's partition retired, and a revived one's restored
    SESSION_ARCHIVED = "genesis.session.archived"
    SESSION_REVIVED = "genesis.session.revived"
    # outbound, from the nightly consistency audit of completed sessions
    AUDIT_REGRESSION_FOUND = "genesis.audit.regression_found"


class Envelope(BaseModel):
    """Every message on every topic. Unknown fields are ignored on input."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_id: str = Field(min_length=1, max_length=64)
    event_type: str = Field(min_length=1, max_length=128)
    event_version: int = Field(default=1, ge=1)
    session_id: str = Field(min_length=1, max_length=64)
    correlation_id: str = Field(min_length=1, max_length=64)
    causation_id: str | None = Field(default=None, max_length=64)
    occurred_at: AwareDatetime
    payload: dict[str, Any] = Field(default_factory=dict)


def new_event(
    event_type: EventType,
    *,
    session_id: str,
    correlation_id: str,
    payload: dict[str, Any],
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
) -> Envelope:
    return Envelope(
        event_id=str(uuid.uuid4()),
        event_type=event_type.value,
        session_id=session_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        occurred_at=occurred_at or datetime.now(UTC),
        payload=payload,
    )
