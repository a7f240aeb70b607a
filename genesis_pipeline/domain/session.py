"""A writing session: what the writer asked for and where the session stands."""

import re
import secrets
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

SESSION_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")


def check_session_id(value: str) -> str:
    if not SESSION_ID_PATTERN.match(value):
        raise ValueError(
            f"invalid session id {value!r}: use 3-64 characters of a-z, 0-9 and '-', "
            "starting with a letter or digit"
        )
    return value


def new_session_id(premise: str) -> str:
    """A readable id from the premise's first words plus a random suffix."""
    words = re.findall(r"[a-z0-9]+", premise.lower())[:4]
    stem = "-".join(words)[:40].strip("-") or "session"
    return f"{stem}-{secrets.token_hex(3)}"


SessionId = Annotated[str, AfterValidator(check_session_id)]


class ReviewMode(StrEnum):
    AUTO = "auto"
    HUMAN = "human"


class SessionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NEEDS_ATTENTION = "needs_attention"


class Transition(StrEnum):
    """What can happen to a session's status, and who makes it happen."""

    PAUSE = "pause"  # the writer's command
    RESUME = "resume"  # the writer's command
    RESUME_WITH_BUDGET = "resume with a new budget"  # the writer's command, with budget_tokens
    CANCEL = "cancel"  # the writer's command
    REOPEN = "reopen"  # the writer asks for a change to a finished bible
    COMPLETE = "complete"  # the bible was approved and exported
    STALL = "stall"  # a stage failed for good: a person has to look


_LIVE = frozenset({SessionStatus.ACTIVE, SessionStatus.NEEDS_ATTENTION})
# The status table: the statuses a transition applies in → the status it leaves.
TRANSITIONS: dict[Transition, tuple[frozenset[SessionStatus], SessionStatus]] = {
    Transition.PAUSE: (_LIVE, SessionStatus.PAUSED),
    Transition.RESUME: (frozenset({SessionStatus.PAUSED}), SessionStatus.ACTIVE),
    # A session that stopped (its budget ran out) goes on with a larger budget.
    Transition.RESUME_WITH_BUDGET: (
        frozenset({SessionStatus.PAUSED, SessionStatus.NEEDS_ATTENTION}),
        SessionStatus.ACTIVE,
    ),
    Transition.CANCEL: (_LIVE | {SessionStatus.PAUSED}, SessionStatus.CANCELLED),
    Transition.REOPEN: (frozenset({SessionStatus.COMPLETED}), SessionStatus.ACTIVE),
    # A run that was already writing the bible when the writer paused still completes it; a
    # refreshed bible (a new prompt version) completes a completed session again.
    Transition.COMPLETE: (
        _LIVE | {SessionStatus.PAUSED, SessionStatus.COMPLETED},
        SessionStatus.COMPLETED,
    ),
    # A finished bible whose refresh fails for good needs a person too.
    Transition.STALL: (
        _LIVE | {SessionStatus.PAUSED, SessionStatus.COMPLETED},
        SessionStatus.NEEDS_ATTENTION,
    ),
}


def allows(status: SessionStatus, transition: Transition) -> bool:
    return status in TRANSITIONS[transition][0]


class SessionSpec(BaseModel):
    """What the writer asked for (the payload of `genesis.session.requested`)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    premise: str = Field(min_length=1, max_length=4000)
    genre: str | None = Field(default=None, max_length=80)
    audience: str | None = Field(default=None, max_length=80)
    language: str = Field(default="en", min_length=2, max_length=16)
    review_mode: ReviewMode = ReviewMode.AUTO
    priority: int = Field(default=0, ge=-10, le=10)
    max_attempts: int = Field(default=3, ge=1, le=10)
    # Tokens the session's model calls may spend; None: GENESIS_SESSION_TOKEN_BUDGET.
    budget_tokens: int | None = Field(default=None, ge=1, le=10**12)
