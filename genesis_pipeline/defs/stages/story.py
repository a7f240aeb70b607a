"""Stage 2: the story built on the selected concept."""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.defs.resources import GeneratorResource, GenesisStoreResource
from genesis_pipeline.defs.stages.definition import stage_asset
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import run_stage
from genesis_pipeline.domain.artifacts import Concept
from genesis_pipeline.domain.stages import Stage

PROMPT = StagePrompt(
    version="story-v2",
    task=(
        "Develop the selected concept into a story: use the concept's title unchanged as `title`; "
        "write a logline, a synopsis of 60-110 words naming the main characters' roles and the "
        "turning points, the tone, the central conflict, 2-4 themes (at least one from the "
        "concept) and a structure of 3-4 named parts with a summary each."
    ),
)


@stage_asset(Stage.STORY, PROMPT)
def story(
    context: dg.AssetExecutionContext,
    concept: Concept,
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """The story on the selected concept: logline, synopsis, tone, central conflict and structure.

    Built from the passed versions of its inputs; gated for quality and consistency."""
    upstream = {Stage.CONCEPT: concept}
    yield from run_stage(context, Stage.STORY, PROMPT, upstream, genesis_store, generator, gates)
