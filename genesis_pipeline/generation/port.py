"""The generator port: what a stage asks for and what any provider gives back."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from pydantic import BaseModel

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.spending import ModelCall
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import RelevanceJudgement

# One model call: tokens_in, tokens_out, latency_ms, finish_reason, purpose (draft or judge).
CallRecord = dict[str, float | int | str]
# What a model is asked to fill: a stage's artifact, a part of one, or a judgement.
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Prompt:
    """The rendered prompt of a stage; `version` changes whenever the template does."""

    system: str
    user: str
    version: str


@dataclass(frozen=True)
class StageRequest:
    """Everything a provider may use to write one stage's artifact.

    `upstream` holds the current passed artifacts of the stage's inputs; `instructions`
    holds revision instructions (gate findings, writer feedback, requested additions), in
    the order they were asked for. `prompt` is the same information rendered as text for
    providers that only read text. `previous` is the stage's own latest draft when this
    request revises it (so a revision keeps what was good), and None for a fresh draft.
    `seed` changes only when the writer asks to regenerate from scratch. Every model call
    made for the request is charged to `budget`, the session's, when there is one.
    """

    session_id: str
    stage: Stage
    attempt: int
    spec: SessionSpec
    upstream: Mapping[Stage, Artifact]
    prompt: Prompt
    output_model: type[Artifact]
    instructions: tuple[str, ...] = ()
    previous: Artifact | None = None
    seed: int = 0
    budget: "TokenBudget | None" = field(default=None, compare=False, repr=False)

    @property
    def determinism_key(self) -> str:
        """What fixes an offline draft: session, stage, attempt, instructions and seed."""
        text = "\x1f".join(
            [
                self.session_id,
                self.stage.value,
                str(self.attempt),
                str(self.seed),
                *self.instructions,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Generation:
    """A parsed artifact with the cost of producing it."""

    artifact: Artifact
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    extra: Mapping[str, object] = field(default_factory=dict)
    # The provider's log of each model call, when it keeps one (see CallRecord).
    calls: tuple["CallRecord", ...] = ()


@dataclass(frozen=True)
class Judged:
    """A model's relevance judgement of a draft, with the cost of asking for it."""

    judgement: RelevanceJudgement
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
    calls: tuple[CallRecord, ...] = ()


class GenerationError(Exception):
    """A generation that failed; `retryable` says whether trying again may help."""

    retryable = False


class TransientGenerationError(GenerationError):
    """Timeouts, rate limits and server errors: worth retrying with backoff."""

    retryable = True


class MalformedOutputError(GenerationError):
    """The model answered, but not with a valid artifact, even after re-asking."""


class Generator(Protocol):
    """A provider of stage artifacts."""

    def generate(self, request: StageRequest) -> Generation: ...

    def judge(self, request: StageRequest, *, system: str, user: str) -> Judged | None:
        """A relevance judgement of the draft `request` produced (the rubric in `system` and
        `user`), or None from a provider that cannot judge."""
        ...


class TokenBudget(Protocol):
    """A session's token budget: `charge` a call's allowance before the call is made (raising
    `domain.spending.BudgetExhausted` when the session cannot pay for it, and then the call is
    not made), `settle` with the call once it was made."""

    def charge(self, session_id: str, *, tokens: int) -> None: ...

    def settle(self, call: ModelCall, *, charged: int) -> None: ...


def model_call(request: StageRequest, record: CallRecord, model: str) -> ModelCall:
    """A call of `request`'s attempt, from a provider's record of it."""
    return ModelCall(
        session_id=request.session_id,
        stage=request.stage.value,
        attempt=request.attempt,
        purpose=str(record["purpose"]),
        model=model,
        tokens_in=int(record["tokens_in"]),
        tokens_out=int(record["tokens_out"]),
        latency_ms=float(record["latency_ms"]),
    )


class RateLimiter(Protocol):
    """Admits LLM calls: `acquire` before a call (raising `TimeoutError` when admitting it would
    wait too long), `settle` once its real size is known."""

    def acquire(self, *, tokens: int) -> None: ...

    def settle(self, *, estimated: int, actual: int) -> None: ...
