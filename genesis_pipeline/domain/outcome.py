"""What one stage attempt produced and what its gates decided, handed to the store as one fact.

The revision loop notices when it makes no progress: an attempt that repeats the findings of
the attempt it revised, or barely changes its draft, is followed by a fresh start (a new
draft with a new seed, the findings as things to avoid) instead of another revision of the
same draft; if the fresh start makes no progress either, the stage stops early with that as
its reason rather than spending its remaining attempts on the same mistake.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import Finding, GateVerdict

# Two drafts whose word trigrams overlap this much are the same draft with cosmetic changes.
SAME_DRAFT_SIMILARITY = 0.9
_WORD = re.compile(r"\w+")


class Strategy(StrEnum):
    REVISE = "revise"  # edit the latest draft along the findings
    FRESH = "fresh"  # write a new draft; the findings say what to avoid


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
    strategy: Strategy = Strategy.REVISE  # of the next attempt
    note: str | None = None  # why the loop changed strategy or stopped early


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
    # Each model call of the attempt (a split stage or a re-ask makes several):
    # tokens_in, tokens_out, latency_ms, finish_reason.
    calls: tuple[dict[str, float | int | str], ...] = ()
    started_at: datetime
    verdicts: tuple[GateVerdict, ...]
    decision: Decision
    strategy: Strategy = Strategy.REVISE
    flaw: str | None = None

    @property
    def quality_score(self) -> float | None:
        return next((v.score for v in self.verdicts if v.gate == "quality"), None)


@dataclass(frozen=True)
class StageResult:
    """What a stage step hands on as its output value: the draft and its outcome, which the IO
    manager stores together (`service.handlers.record_outcome`)."""

    artifact: Artifact
    outcome: StageOutcome


@dataclass(frozen=True)
class PreviousAttempt:
    """The gate-failed attempt that the current one revises or restarts."""

    attempt: int
    text: str
    findings: frozenset[Finding]


def no_progress(previous: PreviousAttempt, text: str, findings: frozenset[Finding]) -> str | None:
    """Why the current attempt made no progress on `previous`, or None if it did."""
    # Fields, not problem texts: "mentions 2 of the keywords" after "mentions 1" fixed nothing.
    flagged = {finding.field for finding in findings}
    if flagged and flagged >= {finding.field for finding in previous.findings}:
        return f"attempt {previous.attempt + 1} repeated the findings of attempt {previous.attempt}"
    if findings and similarity(previous.text, text) >= SAME_DRAFT_SIMILARITY:
        return (
            f"attempt {previous.attempt + 1} barely changed the draft of attempt {previous.attempt}"
        )
    return None


def similarity(first: str, second: str) -> float:
    """Jaccard similarity of the two texts' word trigrams (1.0: the same words in order)."""
    grams = [_trigrams(text) for text in (first, second)]
    union = grams[0] | grams[1]
    return len(grams[0] & grams[1]) / len(union) if union else 1.0


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + 3]) for i in range(max(1, len(words) - 2))}


def decide(
    verdicts: tuple[GateVerdict, ...],
    *,
    attempt: int,
    max_attempts: int,
    strategy: Strategy = Strategy.REVISE,
    stalled: str | None = None,
) -> Decision:
    """The branch after the gates: continue, rewrite with the findings, or give up.

    `strategy` is the current attempt's; `stalled` says how it made no progress, if it did.
    """
    failed = [v for v in verdicts if not v.passed]
    if not failed:
        return Decision(step=NextStep.COMPLETE)
    instructions = tuple(f.as_instruction() for v in failed for f in v.findings)
    reason = failed[0].gate.value
    if attempt >= max_attempts:
        return Decision(step=NextStep.FAIL, reason=reason, instructions=instructions, note=stalled)
    if stalled and strategy is Strategy.FRESH:
        note = f"stopped early, no progress: {stalled} even after starting fresh"
        return Decision(step=NextStep.FAIL, reason=reason, instructions=instructions, note=note)
    if stalled:
        return Decision(
            step=NextStep.REWRITE,
            reason=reason,
            instructions=tuple(
                f"Avoid: {f.problem} ({f.field})" for v in failed for f in v.findings
            ),
            next_attempt=attempt + 1,
            strategy=Strategy.FRESH,
            note=f"{stalled}; starting fresh",
        )
    return Decision(
        step=NextStep.REWRITE, reason=reason, instructions=instructions, next_attempt=attempt + 1
    )
