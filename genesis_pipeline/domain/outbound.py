"""Payloads of the outbound events on `genesis.events` (docs/CONTRACT.md), one model per type.

The store writes these payloads as plain dicts when it records a fact (`store/stage_facts.py`,
`store/session_facts.py`, `store/inbound.py`, `store/genesis_store.py`, `store/maintenance.py`);
these models are what consumers may rely on. `genesis_pipeline_tests/integration/store/
test_outbound_payloads.py` checks every payload the store writes against its model, so the two
cannot part silently, and `docs/schemas/` holds the models' JSON Schemas.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.outcome import Strategy
from genesis_pipeline.domain.session import ReviewMode, SessionStatus
from genesis_pipeline.domain.stages import Stage

GateReason = Literal["quality", "consistency"]
# A failed gate, the writer's feedback (modify, regenerate) or a requested character or element.
RewriteReason = Literal["quality", "consistency", "feedback", "request"]


class EventPayload(BaseModel):
    # The contract grows by adding fields, so a consumer ignores the ones it does not know.
    model_config = ConfigDict(extra="ignore", frozen=True)


class GateFinding(EventPayload):
    field: str = Field(description="dotted path of the field, e.g. characters[2].goal")
    problem: str


class StageVersion(EventPayload):
    stage: Stage
    version: int = Field(ge=1, description="the artifact version in the genesis store")


class SessionCreated(EventPayload):
    premise: str
    review_mode: ReviewMode


class StageStarted(EventPayload):
    stage: Stage
    attempt: int = Field(ge=1)
    run_id: str | None = Field(description="the Dagster run that made the attempt")


class AgentTaskRequested(EventPayload):
    stage: Stage
    model: str
    prompt_version: str = Field(description="the stage asset's code_version")
    attempt: int = Field(ge=1)


class ModelCall(EventPayload):
    """One model call of an attempt: a split stage, a re-ask or the judge each make one."""

    tokens_in: int = Field(ge=0)
    tokens_out: int = Field(ge=0)
    latency_ms: float = Field(ge=0)
    finish_reason: str | None = Field(
        default=None,
        description="as the model server reported it (stop, length, ...); "
        "absent when the provider reports none (the offline generator)",
    )
    purpose: Literal["draft", "judge"]


class AgentTaskCompleted(EventPayload):
    stage: Stage
    model: str
    prompt_version: str
    tokens_in: int = Field(ge=0, description="sum over `calls`")
    tokens_out: int = Field(ge=0, description="sum over `calls`")
    latency_ms: float = Field(ge=0, description="sum over `calls`")
    calls: list[ModelCall]


class ContentGenerated(StageVersion):
    attempt: int = Field(ge=1)
    summary: str


class QualityCheckCompleted(StageVersion):
    score: float = Field(ge=0, le=1)
    threshold: float = Field(ge=0, le=1)
    passed: bool
    findings: list[GateFinding]


class ConsistencyCheckRequested(StageVersion):
    pass


class ConsistencyCheckCompleted(StageVersion):
    score: float = Field(ge=0, le=1)
    passed: bool
    findings: list[GateFinding]


class StageRewriteRequested(EventPayload):
    stage: Stage
    reason: RewriteReason = Field(
        description="the gate that failed, `feedback` (modify, regenerate) or `request` "
        "(a character or world element asked for)"
    )
    next_attempt: int = Field(ge=1, description="1 when the writer asked: a fresh round")
    instructions: list[str]
    strategy: Strategy | None = Field(
        default=None,
        description="after a failed gate: `revise` the draft, or write a `fresh` one because "
        "the last revision made no progress; absent when the writer asked",
    )
    note: str | None = Field(
        default=None, description="why the revision loop changed strategy; absent otherwise"
    )


class StageCompleted(StageVersion):
    quality_score: float | None = Field(ge=0, le=1)


class ContentApproved(StageVersion):
    approved_by: Literal["auto", "writer"]


class StageFailed(EventPayload):
    stage: Stage
    attempts: int = Field(ge=0)
    error_class: str = Field(
        description="`<gate>_gate_failed` when the last allowed attempt failed a gate (or the "
        "loop stopped early), else the class of the error that retries did not fix"
    )
    message: str = Field(
        max_length=2000,
        description="starts with `stopped early, no progress: ` when the revision loop gave "
        "up before its last attempt",
    )
    run_id: str | None = Field(
        default=None, description="the failed run; present only when an error failed the stage"
    )


class SessionStatusChanged(EventPayload):
    """`session.paused`, `session.resumed` and `session.cancelled`."""

    reason: str | None = Field(description="as the command gave it; null for resumed")


class SessionCompleted(EventPayload):
    bible_location: str | None = Field(
        description="the exported `<session_id>.json`: a file:// or s3:// URI"
    )
    bible_version: int = Field(ge=1, description="the story_bible version exported")
    tokens: int | None = Field(
        default=None, ge=0, description="tokens of every model call the session made so far"
    )
    cost_usd: float | None = Field(
        default=None,
        ge=0,
        description="their cost by GENESIS_MODEL_PRICES (calls to unpriced models count 0)",
    )


class SessionArchiveChanged(EventPayload):
    status: SessionStatus = Field(
        description="archived: the finished status it keeps (completed or cancelled); "
        "revived: the status it has again"
    )


class AuditRegressionFound(StageVersion):
    gate: GateReason
    score: float = Field(ge=0, le=1)
    findings: list[GateFinding]
    run_id: str | None = Field(description="the audit run")


OUTBOUND_PAYLOADS: dict[EventType, type[EventPayload]] = {
    EventType.SESSION_CREATED: SessionCreated,
    EventType.STAGE_STARTED: StageStarted,
    EventType.AGENT_TASK_REQUESTED: AgentTaskRequested,
    EventType.AGENT_TASK_COMPLETED: AgentTaskCompleted,
    EventType.CONTENT_GENERATED: ContentGenerated,
    EventType.QUALITY_CHECK_COMPLETED: QualityCheckCompleted,
    EventType.CONSISTENCY_CHECK_REQUESTED: ConsistencyCheckRequested,
    EventType.CONSISTENCY_CHECK_COMPLETED: ConsistencyCheckCompleted,
    EventType.STAGE_REWRITE_REQUESTED: StageRewriteRequested,
    EventType.STAGE_COMPLETED: StageCompleted,
    EventType.CONTENT_APPROVED: ContentApproved,
    EventType.STAGE_FAILED: StageFailed,
    EventType.SESSION_PAUSED: SessionStatusChanged,
    EventType.SESSION_RESUMED: SessionStatusChanged,
    EventType.SESSION_CANCELLED: SessionStatusChanged,
    EventType.SESSION_COMPLETED: SessionCompleted,
    EventType.SESSION_ARCHIVED: SessionArchiveChanged,
    EventType.SESSION_REVIVED: SessionArchiveChanged,
    EventType.AUDIT_REGRESSION_FOUND: AuditRegressionFound,
}
