"""Stage 6: the story bible."""

from collections.abc import Iterator

import dagster as dg

from genesis_pipeline.defs.checks import GateSettings
from genesis_pipeline.defs.resources import GeneratorResource, GenesisStoreResource
from genesis_pipeline.defs.stages.definition import stage_asset
from genesis_pipeline.defs.stages.prompting import StagePrompt
from genesis_pipeline.defs.stages.runner import run_stage
from genesis_pipeline.domain.artifacts import Cast, Concept, PlotOutline, Story, Worldview
from genesis_pipeline.domain.stages import Stage

PROMPT = StagePrompt(
    version="story-bible-v2",
    task=(
        "Write the front matter of the story bible: the title (the story's title), a back-cover "
        "blurb of 40-110 words, a style guide (point of view, tense, voice) and a glossary of 3-4 "
        "terms drawn from the world's rules, factions and places."
    ),
)


@stage_asset(Stage.STORY_BIBLE, PROMPT)
def story_bible(
    context: dg.AssetExecutionContext,
    concept: Concept,
    story: Story,
    worldview: Worldview,
    characters: Cast,
    plot_outline: PlotOutline,
    genesis_store: GenesisStoreResource,
    generator: GeneratorResource,
    gates: GateSettings,
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """The finished bible: blurb, style guide and glossary over the passed versions of every
    earlier stage; exported as JSON and Markdown when its gates pass.

    Built from the passed versions of its inputs; gated for quality and consistency."""
    upstream = {
        Stage.CONCEPT: concept,
        Stage.STORY: story,
        Stage.WORLDVIEW: worldview,
        Stage.CHARACTERS: characters,
        Stage.PLOT_OUTLINE: plot_outline,
    }
    yield from run_stage(
        context, Stage.STORY_BIBLE, PROMPT, upstream, genesis_store, generator, gates
    )
