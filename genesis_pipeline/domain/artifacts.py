"""The six stage artifacts.

Models parse what a generator returns and nothing more: a model accepts a cast whose
home location is missing from the world, so that the consistency gate can name the
problem instead of the parser rejecting the whole draft. Ids are stable slugs so that
later stages and revisions can point at the same character or place.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from genesis_pipeline.domain.stages import Stage

EntityId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Artifact(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ConceptCandidate(Artifact):
    title: ShortText
    hook: Text
    genre: ShortText
    themes: list[ShortText] = Field(min_length=1, max_length=6)


class Concept(Artifact):
    """Candidate concepts for the premise, one of them selected."""

    candidates: list[ConceptCandidate] = Field(min_length=2, max_length=5)
    selected: int = Field(ge=0, description="index of the selected candidate")
    rationale: Text

    @model_validator(mode="after")
    def _selected_in_range(self) -> "Concept":
        if self.selected >= len(self.candidates):
            raise ValueError(
                f"selected={self.selected} but there are {len(self.candidates)} candidates"
            )
        return self

    @property
    def chosen(self) -> ConceptCandidate:
        return self.candidates[self.selected]


class StoryPart(Artifact):
    name: ShortText
    summary: Text


class Story(Artifact):
    """The story built on the selected concept."""

    title: ShortText
    logline: Text
    synopsis: Text
    tone: ShortText
    central_conflict: Text
    themes: list[ShortText] = Field(min_length=1, max_length=6)
    structure: list[StoryPart] = Field(min_length=3, max_length=7)


class WorldRule(Artifact):
    id: EntityId
    name: ShortText
    description: Text


class Faction(Artifact):
    id: EntityId
    name: ShortText
    goal: Text
    description: Text


class Location(Artifact):
    id: EntityId
    name: ShortText
    description: Text
    faction_id: EntityId | None = None


class Worldview(Artifact):
    """Setting, rules, places, factions and history of the world."""

    setting: Text
    rules: list[WorldRule] = Field(min_length=1)
    locations: list[Location] = Field(min_length=2)
    factions: list[Faction] = Field(min_length=1)
    history: list[Text] = Field(min_length=1)


CharacterRole = Literal[
    "protagonist", "antagonist", "deuteragonist", "mentor", "ally", "rival", "supporting"
]
MAIN_ROLES: frozenset[str] = frozenset({"protagonist", "antagonist", "deuteragonist"})


class Relationship(Artifact):
    character_id: EntityId
    kind: ShortText
    description: Text


class Character(Artifact):
    id: EntityId
    name: ShortText
    role: CharacterRole
    goal: Text
    flaw: Text
    arc: Text
    home_location_id: EntityId
    faction_id: EntityId | None = None
    relationships: list[Relationship] = Field(default_factory=list)

    @property
    def is_main(self) -> bool:
        return self.role in MAIN_ROLES


class Cast(Artifact):
    """The cast of the story."""

    characters: list[Character] = Field(min_length=2)


class Beat(Artifact):
    id: EntityId
    summary: Text
    character_ids: list[EntityId] = Field(min_length=1)
    location_id: EntityId


class Chapter(Artifact):
    number: int = Field(ge=1)
    title: ShortText
    summary: Text
    beats: list[Beat] = Field(min_length=1)


class Act(Artifact):
    number: int = Field(ge=1)
    title: ShortText
    summary: Text
    chapters: list[Chapter] = Field(min_length=1)


class PlotOutline(Artifact):
    """Acts, chapters and beats; every beat names its characters and location."""

    acts: list[Act] = Field(min_length=1)

    def beats(self) -> list[Beat]:
        return [beat for act in self.acts for chapter in act.chapters for beat in chapter.beats]


class StyleGuide(Artifact):
    point_of_view: ShortText
    tense: ShortText
    voice: Text


class GlossaryEntry(Artifact):
    term: ShortText
    definition: Text


class BibleNarrative(Artifact):
    """The part of the bible a generator writes: overview, style guide and glossary."""

    title: ShortText
    blurb: Text
    style_guide: StyleGuide
    glossary: list[GlossaryEntry] = Field(min_length=1)


class StoryBible(BibleNarrative):
    """The finished bible: the generated overview plus the versions of the stages it assembles."""

    versions: dict[Stage, int] = Field(
        description="artifact version of each earlier stage this bible was assembled from"
    )


ARTIFACT_MODELS: dict[Stage, type[Artifact]] = {
    Stage.CONCEPT: Concept,
    Stage.STORY: Story,
    Stage.WORLDVIEW: Worldview,
    Stage.CHARACTERS: Cast,
    Stage.PLOT_OUTLINE: PlotOutline,
    Stage.STORY_BIBLE: StoryBible,
}

# What a generator is asked to produce for each stage: the bible's `versions` are filled in
# by the stage from the store, never by a model.
GENERATED_MODELS: dict[Stage, type[Artifact]] = {
    **ARTIFACT_MODELS,
    Stage.STORY_BIBLE: BibleNarrative,
}
