"""The offline generator: deterministic drafts for every stage, with no network and no model.

It serves local runs, tests and demos. Drafts are specific to the premise and build on the
upstream artifacts, so they pass the gates; `flaw_rate` makes some of them fail on purpose.
"""

import hashlib
import time
from collections.abc import Callable, Mapping

from pydantic import ValidationError

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.generation.offline.bible import write_bible
from genesis_pipeline.generation.offline.characters import write_characters
from genesis_pipeline.generation.offline.concept import write_concept
from genesis_pipeline.generation.offline.drafting import Draft, seeded_rng, session_canon
from genesis_pipeline.generation.offline.flaws import FLAW_NAMES, inject_flaw
from genesis_pipeline.generation.offline.instructions import read_instructions
from genesis_pipeline.generation.offline.plot import write_plot
from genesis_pipeline.generation.offline.premise import read_premise
from genesis_pipeline.generation.offline.story import write_story
from genesis_pipeline.generation.offline.worldview import write_worldview
from genesis_pipeline.generation.port import (
    Generation,
    Judged,
    MalformedOutputError,
    StageRequest,
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
    """A `Generator` that writes each stage from word tables, seeded by the request."""

    def __init__(self, flaw_rate: float = 0.0, latency_s: float = 0.0) -> None:
        if not 0.0 <= flaw_rate <= 1.0:
            raise ValueError(f"flaw_rate must be within [0, 1], got {flaw_rate}")
        if latency_s < 0:
            raise ValueError(f"latency_s must not be negative, got {latency_s}")
        self.flaw_rate = flaw_rate
        self.latency_s = latency_s

    def generate(self, request: StageRequest) -> Generation:
        started = time.perf_counter()
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
        return Generation(
            artifact=artifact,
            model=MODEL_NAME,
            tokens_in=len(request.prompt.system + request.prompt.user) // 4,
            tokens_out=len(artifact.model_dump_json()) // 4,
            latency_ms=(time.perf_counter() - started) * 1000,
            extra=extra,
        )

    def judge(self, request: StageRequest, *, system: str, user: str) -> Judged | None:
        """No semantic judge offline: the gates' own premise check decides relevance."""
        return None


def _draft_for(request: StageRequest) -> Draft:
    facts = read_premise(request.spec)
    # The base draft ignores `attempt` and the instructions: a revision keeps its cast and
    # world and only adds what was asked for.
    base_key = (
        "base",
        request.session_id,
        request.stage.value,
        str(request.seed),
        facts.text,
        facts.genre_key,
        _upstream_digest(request.upstream),
    )
    return Draft(
        facts=facts,
        canon=session_canon(facts, request.session_id, request.seed),
        rng=seeded_rng(*base_key),
        revision_rng=seeded_rng("revision", *base_key, *request.instructions),
        upstream=request.upstream,
        previous=request.previous,
        plan=read_instructions(request.instructions),
    )


def _upstream_digest(upstream: Mapping[Stage, Artifact]) -> str:
    digest = hashlib.sha256()
    for stage in STAGE_ORDER:
        if stage in upstream:
            digest.update(stage.value.encode())
            digest.update(upstream[stage].model_dump_json().encode())
    return digest.hexdigest()
