"""The offline generator: a fast, deterministic test double for every stage, with no model.

It serves tests, demos and `genesis run` without a model: each draft is a short template
filled with the premise and the session's names (see `writers`), so a session completes in
seconds and its plumbing (gates, revisions, feedback, events) can be exercised end to end. It
is not a writer: its `model` is "offline-v1" in every event and in the UI. `flaw_rate` makes
some drafts fail a gate on purpose, so the revision loop runs without a real model's mistakes.
"""

import time
from collections.abc import Callable

from pydantic import ValidationError

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.offline.canon import seeded_rng, session_canon
from genesis_pipeline.generation.offline.flaws import FLAW_NAMES, inject_flaw
from genesis_pipeline.generation.offline.instructions import read_instructions
from genesis_pipeline.generation.offline.writers import (
    Draft,
    write_bible,
    write_characters,
    write_concept,
    write_plot,
    write_story,
    write_worldview,
)
from genesis_pipeline.generation.port import (
    CallRecord,
    Generation,
    Judged,
    MalformedOutputError,
    StageRequest,
    model_call,
)

MODEL_NAME = "offline-v1"

STAGE_WRITERS: dict[Stage, Callable[[Draft], Artifact]] = {
    Stage.CONCEPT: write_concept,
    Stage.STORY: write_story,
    Stage.WORLDVIEW: write_worldview,
    Stage.CHARACTERS: write_characters,
    Stage.PLOT_OUTLINE: write_plot,
    Stage.STORY_BIBLE: write_bible,
}


class OfflineGenerator:
    """A `Generator` that fills one template per stage, seeded by the request."""

    def __init__(self, flaw_rate: float = 0.0, latency_s: float = 0.0) -> None:
        if not 0.0 <= flaw_rate <= 1.0:
            raise ValueError(f"flaw_rate must be within [0, 1], got {flaw_rate}")
        if latency_s < 0:
            raise ValueError(f"latency_s must not be negative, got {latency_s}")
        self.flaw_rate = flaw_rate
        self.latency_s = latency_s

    def generate(self, request: StageRequest) -> Generation:
        started = time.perf_counter()
        tokens_in = len(request.prompt.system + request.prompt.user) // 4
        draft = _draft_for(request)
        artifact = STAGE_WRITERS[request.stage](draft)
        extra: dict[str, object] = {}
        # Flaws follow the attempt and the instructions, so a retry may come out clean; a
        # gate's "Fix ..." request always gets a clean draft.
        flaw_rng = seeded_rng("flaw", request.determinism_key)
        if not draft.plan.fixing and flaw_rng.random() < self.flaw_rate:
            artifact = inject_flaw(request.stage, artifact, flaw_rng)
            extra["flaw"] = FLAW_NAMES[request.stage]
        if self.latency_s:
            time.sleep(self.latency_s)  # the simulated model "thinking"
        try:
            artifact = request.output_model.model_validate(artifact.model_dump())
        except ValidationError as error:
            raise MalformedOutputError(
                f"offline draft of {request.stage.value} does not fit "
                f"{request.output_model.__name__}: {error}"
            ) from error
        tokens_out = len(artifact.model_dump_json()) // 4
        call: CallRecord = {
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "purpose": "draft",
        }
        if request.budget is not None:
            # Charged at its real size (known here before the draft is handed over), so a
            # session out of budget gets no draft, as it would get no model call.
            request.budget.charge(request.session_id, tokens=tokens_in + tokens_out)
            request.budget.settle(
                model_call(request, call, MODEL_NAME), charged=tokens_in + tokens_out
            )
        return Generation(
            artifact=artifact,
            model=MODEL_NAME,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            latency_ms=float(call["latency_ms"]),
            extra=extra,
            calls=(call,),
        )

    def judge(self, request: StageRequest, *, system: str, user: str) -> Judged | None:
        """No semantic judge offline: the gates' own premise check decides relevance."""
        return None


def _draft_for(request: StageRequest) -> Draft:
    # The draft follows the session, stage, premise and seed, not the attempt: a revision
    # changes only what its instructions ask for.
    key = (request.session_id, request.stage.value, str(request.seed), request.spec.premise)
    return Draft(
        spec=request.spec,
        canon=session_canon(request.session_id, request.spec.premise),
        rng=seeded_rng("draft", *key),
        upstream=request.upstream,
        previous=request.previous,
        plan=read_instructions(request.instructions),
    )
