"""Stage 3: the world the story happens in."""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.defs.resources import GeneratorResource, GenesisStoreResource
from genesis_pipeline.defs.stages.definition import stage_asset
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import run_stage
from genesis_pipeline.domain.artifacts import Concept, Story
from genesis_pipeline.domain.stages import Stage

PROMPT = StagePrompt(
    version="worldview-v2",
    task=(
        "Build the world of this story: a setting of 40-110 words; 2 rules or systems that "
        "shape what characters can do; 3 locations with stable ids (`loc_...`), each optionally "
        "controlled by a faction; 2 factions with ids (`fac_...`) and goals; 2 history "
        "entries that explain the present conflict."
    ),
)


@stage_asset(Stage.WORLDVIEW, PROMPT)
def worldview(
    context: dg.AssetExecutionContext,
    concept: Concept,
    story: Story,
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """The world: setting, rules, locations, factions and history, with stable ids for places and
    factions.

    Built from the passed versions of its inputs; gated for quality and consistency."""
    upstream = {Stage.CONCEPT: concept, Stage.STORY: story}
    yield from run_stage(
        context, Stage.WORLDVIEW, PROMPT, upstream, genesis_store, generator, gates
    )
