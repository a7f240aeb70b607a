"""Stage 1: candidate concepts for the premise, one selected."""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.defs.resources import GeneratorResource, GenesisStoreResource
from genesis_pipeline.defs.stages.definition import stage_asset
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import run_stage
from genesis_pipeline.domain.stages import Stage

PROMPT = StagePrompt(
    version="concept-v2",
    task=(
        "Propose 3 clearly different concepts for a novel from this premise. Each has a "
        "title, a hook of two or three sentences that names the protagonist and the stakes, a "
        "genre and 2-4 themes. Select the strongest (its index in `selected`) and explain why "
        "in `rationale`."
    ),
)


@stage_asset(Stage.CONCEPT, PROMPT)
def concept(
    context: dg.AssetExecutionContext,
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Candidate concepts for the writer's premise (title, hook, genre, themes), one selected.

    Gated for quality; a failed gate sends it back for a rewrite with the findings."""
    yield from run_stage(context, Stage.CONCEPT, PROMPT, {}, genesis_store, generator, gates)
