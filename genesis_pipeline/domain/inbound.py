"""Payloads of the inbound messages (docs/CONTRACT.md §4), one model per event type."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from genesis_pipeline.domain.events import Envelope, EventType
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage


class RejectReason(StrEnum):
    OVERSIZE = "oversize"
    BAD_JSON = "bad_json"
    SCHEMA_VIOLATION = "schema_violation"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_SESSION = "unknown_session"
    UNKNOWN_STAGE = "unknown_stage"
    NOT_ALLOWED_IN_STATE = "not_allowed_in_state"
    # Its handler raised something other than a rejection on every one of its attempts.
    HANDLER_ERROR = "handler_error"


class Rejected(ValueError):
    """An inbound message that cannot take effect; it goes to the DLQ with this reason."""

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class LifecycleReason(Payload):
    """`pause_requested` and `cancel_requested`."""

    reason: str | None = Field(default=None, max_length=2000)


class ResumeRequested(Payload):
    # A new token budget: a session stopped by its budget goes on with it.
    budget_tokens: int | None = Field(default=None, ge=1, le=10**12)


class FeedbackAction(StrEnum):
    ACCEPT = "accept"
    MODIFY = "modify"
    REGENERATE = "regenerate"


class FeedbackSubmitted(Payload):
    stage: Stage
    action: FeedbackAction
    instructions: str | None = Field(default=None, max_length=4000)

    @model_validator(mode="after")
    def _modify_says_what(self) -> Self:
        if self.action is FeedbackAction.MODIFY and not self.instructions:
            raise ValueError("instructions are required for action 'modify'")
        return self


class CharacterRequested(Payload):
    role: str = Field(min_length=1, max_length=80)
    description: str = Field(min_length=1, max_length=4000)
    name: str | None = Field(default=None, max_length=80)

    def instruction(self) -> str:
        name = f"; name: {self.name}" if self.name else ""
        return f"Add a character (role: {self.role}{name}): {self.description}"


class WorldviewElementRequested(Payload):
    kind: Literal["location", "faction", "rule"]
    description: str = Field(min_length=1, max_length=4000)

    def instruction(self) -> str:
        return f"Add a {self.kind}: {self.description}"


INBOUND_PAYLOADS: dict[EventType, type[BaseModel]] = {
    EventType.SESSION_REQUESTED: SessionSpec,
    EventType.SESSION_PAUSE_REQUESTED: LifecycleReason,
    EventType.SESSION_RESUME_REQUESTED: ResumeRequested,
    EventType.SESSION_CANCEL_REQUESTED: LifecycleReason,
    EventType.FEEDBACK_SUBMITTED: FeedbackSubmitted,
    EventType.CHARACTER_REQUESTED: CharacterRequested,
    EventType.WORLDVIEW_ELEMENT_REQUESTED: WorldviewElementRequested,
}

COMMAND_TYPES = frozenset(
    {
        EventType.SESSION_REQUESTED,
        EventType.SESSION_PAUSE_REQUESTED,
        EventType.SESSION_RESUME_REQUESTED,
        EventType.SESSION_CANCEL_REQUESTED,
    }
)
FEEDBACK_TYPES = frozenset(
    {
        EventType.FEEDBACK_SUBMITTED,
        EventType.CHARACTER_REQUESTED,
        EventType.WORLDVIEW_ELEMENT_REQUESTED,
    }
)


@dataclass(frozen=True)
class Inbound:
    """A decoded inbound message: its envelope and its payload as the type's model."""

    envelope: Envelope
    event_type: EventType
    payload: BaseModel

    @property
    def event_id(self) -> str:
        return self.envelope.event_id

    @property
    def session_id(self) -> str:
        return self.envelope.session_id
