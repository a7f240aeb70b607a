"""Stage 5: acts, chapters and beats."""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.defs.resources import GeneratorResource, GenesisStoreResource
from genesis_pipeline.defs.stages.definition import stage_asset
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import run_stage
from genesis_pipeline.domain.artifacts import Cast, Story, Worldview
from genesis_pipeline.domain.stages import Stage

PROMPT = StagePrompt(
    version="plot-outline-v2",
    task=(
        "Outline the plot in 3 acts of 2 chapters, each chapter with 2 beats. Every beat has "
        "a stable id (`beat_...`), a summary, the ids of the characters in it (cast ids only) and "
        "a location id (worldview ids only). Every main character (protagonist, antagonist, "
        "deuteragonist) must appear in at least one beat."
    ),
)


@stage_asset(Stage.PLOT_OUTLINE, PROMPT)
def plot_outline(
    context: dg.AssetExecutionContext,
    story: Story,
    worldview: Worldview,
    characters: Cast,
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Acts → chapters → beats; every beat names its characters and its location by id.

    Built from the passed versions of its inputs; gated for quality and consistency."""
    upstream = {Stage.STORY: story, Stage.WORLDVIEW: worldview, Stage.CHARACTERS: characters}
    yield from run_stage(
        context, Stage.PLOT_OUTLINE, PROMPT, upstream, genesis_store, generator, gates
    )
