"""Stage 4: the cast."""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.defs.resources import GeneratorResource, GenesisStoreResource
from genesis_pipeline.defs.stages.definition import stage_asset
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import run_stage
from genesis_pipeline.domain.artifacts import Story, Worldview
from genesis_pipeline.domain.stages import Stage

PROMPT = StagePrompt(
    version="characters-v2",
    task=(
        "Design the cast: 4 characters with stable ids (`char_...`), unique names, exactly one "
        "protagonist and at least one antagonist, each with a goal, a flaw and an arc; "
        "home_location_id must be one of the worldview's location ids and faction_id one of its "
        "faction ids (or null); relationships point to other cast ids."
    ),
)


@stage_asset(Stage.CHARACTERS, PROMPT)
def characters(
    context: dg.AssetExecutionContext,
    story: Story,
    worldview: Worldview,
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """The cast: names, roles, goals, flaws and arcs, each character at home in a place of the
    world.

    Built from the passed versions of its inputs; gated for quality and consistency."""
    upstream = {Stage.STORY: story, Stage.WORLDVIEW: worldview}
    yield from run_stage(
        context, Stage.CHARACTERS, PROMPT, upstream, genesis_store, generator, gates
    )
