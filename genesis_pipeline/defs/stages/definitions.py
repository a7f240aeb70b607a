"""The six stage assets in stage order and the bible's export after them, as this area's
definitions."""

import dagster as dg

from genesis_pipeline.defs.stages.bible_export import bible_export
from genesis_pipeline.defs.stages.characters import characters
from genesis_pipeline.defs.stages.concept import concept
from genesis_pipeline.defs.stages.plot_outline import plot_outline
from genesis_pipeline.defs.stages.story import story
from genesis_pipeline.defs.stages.story_bible import story_bible
from genesis_pipeline.defs.stages.worldview import worldview

STAGE_ASSETS = [concept, story, worldview, characters, plot_outline, story_bible]
# What a session's runs select from: the stages and the export of the finished bible.
GENESIS_ASSETS = [*STAGE_ASSETS, bible_export]
# The assets partitioned by session, whose history an archived session leaves behind.
SESSION_ASSET_KEYS = [key for asset in GENESIS_ASSETS for key in asset.keys]

# Each stage asset carries its blocking gate checks (quality, consistency, approval).
defs = dg.Definitions(assets=GENESIS_ASSETS)
