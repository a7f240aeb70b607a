"""What one stage attempt produced and what its gates decided, handed to the store as one fact."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.verdicts import GateVerdict


class NextStep(StrEnum):
    COMPLETE = "complete"  # every gate passed
    REWRITE = "rewrite"  # a gate failed, attempts remain
    FAIL = "fail"  # a gate failed on the last allowed attempt


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    step: NextStep
    reason: str | None = None  # the first failed gate
    instructions: tuple[str, ...] = ()
    next_attempt: int | None = None


class StageOutcome(BaseModel):
    """One attempt of one stage: the draft's identity, its cost, its verdicts, the decision."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    stage: Stage
    version: int
    attempt: int
    seed: int
    basis_key: str
    upstream_versions: dict[Stage, int]
    revision_request_id: int | None
    model: str
    prompt_version: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    started_at: datetime
    verdicts: tuple[GateVerdict, ...]
    decision: Decision
    flaw: str | None = None

    @property
    def quality_score(self) -> float | None:
        return next((v.score for v in self.verdicts if v.gate == "quality"), None)


def decide(verdicts: tuple[GateVerdict, ...], *, attempt: int, max_attempts: int) -> Decision:
    """The branch after the gates: continue, rewrite with the findings, or give up."""
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        return Decision(step=NextStep.COMPLETE)
    instructions = tuple(f.as_instruction() for v in failed for f in v.findings)
    reason = failed[0].gate.value
    if attempt >= max_attempts:
        return Decision(step=NextStep.FAIL, reason=reason, instructions=instructions)
    return Decision(
        step=NextStep.REWRITE, reason=reason, instructions=instructions, next_attempt=attempt + 1
    )
