"""The six Genesis stages, their order and what each one is built from."""

from enum import StrEnum


class Stage(StrEnum):
    CONCEPT = "concept"
    STORY = "story"
    WORLDVIEW = "worldview"
    CHARACTERS = "characters"
    PLOT_OUTLINE = "plot_outline"
    STORY_BIBLE = "story_bible"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)

STAGE_INPUTS: dict[Stage, tuple[Stage, ...]] = {
    Stage.CONCEPT: (),
    Stage.STORY: (Stage.CONCEPT,),
    Stage.WORLDVIEW: (Stage.CONCEPT, Stage.STORY),
    Stage.CHARACTERS: (Stage.STORY, Stage.WORLDVIEW),
    Stage.PLOT_OUTLINE: (Stage.STORY, Stage.WORLDVIEW, Stage.CHARACTERS),
    Stage.STORY_BIBLE: (
        Stage.CONCEPT,
        Stage.STORY,
        Stage.WORLDVIEW,
        Stage.CHARACTERS,
        Stage.PLOT_OUTLINE,
    ),
}


def stage_and_downstream(stage: Stage) -> tuple[Stage, ...]:
    """The stage and every stage after it: what a revision of `stage` has to rebuild."""
    return STAGE_ORDER[STAGE_ORDER.index(stage) :]


def parse_stage(value: str) -> Stage:
    """A stage from its id, with a readable error for anything else."""
    try:
        return Stage(value)
    except ValueError:
        known = ", ".join(s.value for s in Stage)
        raise ValueError(f"unknown stage {value!r}; expected one of: {known}") from None
