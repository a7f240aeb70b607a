"""What the genesis store holds, as plain values: sessions, artifact versions, gate results,
revision requests, and the views the stages and `genesis status` read."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from genesis_pipeline.domain.artifacts import ARTIFACT_MODELS, Artifact
from genesis_pipeline.domain.outcome import PreviousAttempt, Strategy
from genesis_pipeline.domain.session import ReviewMode, SessionSpec, SessionStatus
from genesis_pipeline.domain.spending import Spending
from genesis_pipeline.domain.stages import Stage


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    spec: SessionSpec
    status: SessionStatus
    status_reason: str | None
    correlation_id: str
    created_at: datetime
    # When its Dagster partition was retired (a finished session); None while it has one.
    archived_at: datetime | None = None
    # Tokens charged to its budget (`spec.budget_tokens`, or the deployment's default).
    tokens_spent: int = 0

    @property
    def review_mode(self) -> ReviewMode:
        return self.spec.review_mode


@dataclass(frozen=True)
class VersionRecord:
    id: int
    session_id: str
    stage: Stage
    version: int
    attempt: int
    seed: int
    status: str
    content: dict[str, Any]
    upstream_versions: dict[Stage, int]
    quality_score: float | None
    model: str
    prompt_version: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    revision_request_id: int | None
    approved_by: str | None
    created_at: datetime

    def artifact(self) -> Artifact:
        return ARTIFACT_MODELS[self.stage].model_validate(self.content)


@dataclass(frozen=True)
class RevisionRequestRecord:
    id: int
    session_id: str
    stage: Stage
    reason: str
    instructions: tuple[str, ...]
    next_attempt: int
    seed: int
    status: str
    created_at: datetime
    strategy: Strategy = Strategy.REVISE


@dataclass(frozen=True)
class GateRecord:
    gate: str
    passed: bool
    score: float
    threshold: float | None
    findings: list[dict[str, str]]


@dataclass(frozen=True)
class StageBrief:
    """What a stage needs to know before it generates: who asked, which attempt, what to fix."""

    session: SessionRecord
    stage: Stage
    version: int
    attempt: int
    seed: int
    passed_versions: dict[Stage, int]
    revisions: tuple[RevisionRequestRecord, ...] = ()
    previous: VersionRecord | None = None
    instructions: tuple[str, ...] = field(default=())
    strategy: Strategy = Strategy.REVISE
    # The gate-failed attempt this one answers, to notice a revision that makes no progress.
    previous_attempt: PreviousAttempt | None = None

    @property
    def revision_request_id(self) -> int | None:
        """The newest revision request this attempt answers (it answers all older ones too)."""
        return self.revisions[-1].id if self.revisions else None

    @property
    def basis_key(self) -> str:
        upstream = ",".join(f"{s.value}={v}" for s, v in sorted(self.passed_versions.items()))
        request = self.revision_request_id or "-"
        return f"up[{upstream}]|rr={request}|attempt={self.attempt}|seed={self.seed}"


@dataclass(frozen=True)
class StageRow:
    """One line of `genesis status`: where a stage of a session stands."""

    stage: Stage
    versions: int
    latest: VersionRecord | None
    passed: VersionRecord | None
    gates: list[GateRecord]
    pending_revision: RevisionRequestRecord | None
    # Every model call of the stage, all attempts.
    spending: Spending = field(default_factory=Spending)


@dataclass(frozen=True)
class PassedStage:
    """The newest version of a stage that passed its gates."""

    session_id: str
    stage: Stage
    version: int
    prompt_version: str
    approved: bool


@dataclass(frozen=True)
class AuditedVersion:
    """A final version of a completed session, what it was built from, and the consistency
    verdict stored with it."""

    version_id: int
    stage: Stage
    version: int
    artifact: Artifact
    upstream: dict[Stage, Artifact]  # the versions it was generated from and judged against
    passed_versions: dict[Stage, int]
    spec: SessionSpec  # what the writer asked for: its premise's words are no one's name
    stored_passed: bool | None  # None: no consistency verdict was stored
    reported: bool  # an audit regression of this version is recorded already


@dataclass(frozen=True)
class AuditSubject:
    session_id: str
    correlation_id: str
    versions: dict[Stage, AuditedVersion]
