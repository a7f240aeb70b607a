"""The exported bible (docs/CONTRACT.md §9): what `story_bible` writes and `genesis lint` reads."""

from pydantic import BaseModel, ConfigDict

from genesis_pipeline.domain.artifacts import (
    Artifact,
    Cast,
    Concept,
    PlotOutline,
    Story,
    StoryBible,
    Worldview,
)
from genesis_pipeline.domain.stages import Stage


class BibleDocument(BaseModel):
    """`<session_id>.json`: the premise, the version of every stage, and every stage's artifact."""

    model_config = ConfigDict(extra="ignore")

    session_id: str
    premise: str
    versions: dict[Stage, int]
    concept: Concept
    story: Story
    worldview: Worldview
    characters: Cast
    plot_outline: PlotOutline
    story_bible: StoryBible

    def artifact(self, stage: Stage) -> Artifact:
        value: Artifact = getattr(self, stage.value)
        return value
