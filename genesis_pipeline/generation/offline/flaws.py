"""Deliberate flaws: one per stage, each made to fail a named gate, for exercising revisions.

With `flaw_rate` above zero the offline generator sometimes hands in a draft that a gate must
reject, so the revision loop runs end to end without a real model's mistakes.
"""

import random

from genesis_pipeline.domain.artifacts import (
    Artifact,
    BibleNarrative,
    Cast,
    Concept,
    PlotOutline,
    Story,
    Worldview,
)
from genesis_pipeline.domain.stages import Stage

QUALITY = "quality"
CONSISTENCY = "consistency"

FLAW_NAMES: dict[Stage, str] = {
    Stage.CONCEPT: "placeholder_hook",
    Stage.STORY: "title_mismatch",
    Stage.WORLDVIEW: "unknown_faction",
    Stage.CHARACTERS: "unknown_home_location",
    Stage.PLOT_OUTLINE: "ghost_character",
    Stage.STORY_BIBLE: "refusal_blurb",
}
FLAWS: dict[Stage, tuple[str, str]] = {
    Stage.CONCEPT: (QUALITY, "a candidate's hook is 'TBD - placeholder hook'"),
    Stage.STORY: (CONSISTENCY, "the title differs from the selected concept's title"),
    Stage.WORLDVIEW: (CONSISTENCY, "a location belongs to faction 'fac_unknown'"),
    Stage.CHARACTERS: (CONSISTENCY, "a character lives at location 'loc_nowhere'"),
    Stage.PLOT_OUTLINE: (CONSISTENCY, "a beat includes character 'char_ghost'"),
    Stage.STORY_BIBLE: (QUALITY, "the blurb opens with a refusal ('As an AI language model')"),
}
PLACEHOLDER_HOOK = "TBD - placeholder hook"
REFUSAL = "As an AI language model, I cannot write this blurb."


def inject_flaw(stage: Stage, artifact: Artifact, rng: random.Random) -> Artifact:
    """A copy of the artifact carrying the stage's flaw."""
    flawed = artifact.model_copy(deep=True)
    if isinstance(flawed, Concept):
        victim = flawed.candidates[rng.randrange(len(flawed.candidates))]
        victim.hook = PLACEHOLDER_HOOK
    elif isinstance(flawed, Story):
        flawed.title = f"{flawed.title}: A Working Draft"[:120]
    elif isinstance(flawed, Worldview):
        flawed.locations[rng.randrange(len(flawed.locations))].faction_id = "fac_unknown"
    elif isinstance(flawed, Cast):
        flawed.characters[rng.randrange(len(flawed.characters))].home_location_id = "loc_nowhere"
    elif isinstance(flawed, PlotOutline):
        beats = flawed.beats()
        beats[rng.randrange(len(beats))].character_ids.append("char_ghost")
    elif isinstance(flawed, BibleNarrative):
        # Padded with the real blurb so that only the refusal, not the length, fails the gate.
        flawed.blurb = f"{REFUSAL} {flawed.blurb}"[:4000]
    else:
        raise TypeError(f"no flaw defined for {stage.value} ({type(artifact).__name__})")
    return flawed
