"""The six stage assets in stage order."""

from genesis_pipeline.stages.characters import characters
from genesis_pipeline.stages.concept import concept
from genesis_pipeline.stages.plot_outline import plot_outline
from genesis_pipeline.stages.story import story
from genesis_pipeline.stages.story_bible import story_bible
from genesis_pipeline.stages.worldview import worldview

STAGE_ASSETS = [concept, story, worldview, characters, plot_outline, story_bible]
