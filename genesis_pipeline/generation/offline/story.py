"""The story stage: logline, synopsis, conflict and structure built on the chosen concept."""

from genesis_pipeline.domain.artifacts import Concept, Story, StoryPart
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.offline.drafting import Draft
from genesis_pipeline.generation.offline.instructions import note_words
from genesis_pipeline.generation.offline.premise import premise_sentence
from genesis_pipeline.generation.offline.weaving import (
    LONG_LIMIT,
    note_clause,
    with_sentence,
    with_words,
)

LOGLINES = (
    "{hero}, {archetype}, must {want} in {place} before {threat}, even if it means facing "
    "{villain} and the truth about the {kw}.",
    "In {place}, {archetype} called {hero} fights to {want} while {villain} turns the {kw} into "
    "a weapon.",
    "When {place} loses faith in the {kw}, {hero} has to {want} and outwit {villain} before "
    "{threat} "
    "arrives.",
)
CONFLICTS = (
    "{hero} against {villain}: one wants to {want}, the other needs the {kw} to stay buried, "
    "and {place} will not survive both.",
    "The fight over the {kw} sets {hero} against {villain}, who believes {threat} is a price "
    "worth paying for control of {place}.",
    "Between {hero} and {villain} stands the {kw}; whoever holds it decides what {place} "
    "becomes once {threat} has passed.",
)
SYNOPSIS_OPENINGS = (
    "{place} has lived with the {kw} for generations, and {hero} has learned not to ask about it.",
    "For {hero}, {archetype}, the tale of the {kw} was a story {place} told to frighten children.",
    "Everyone in {place} owes something to the {kw}, and {hero} owes more than most.",
)
SYNOPSIS_TURNS = (
    "Then {object} turns up, and with it the first sign of {threat}.",
    "The discovery of {object} forces {hero} to choose between safety and the truth.",
    "When {object} falls into the wrong hands, {hero} can no longer stay out of it.",
)
SYNOPSIS_MIDDLES = (
    "{villain} has spent years shaping the {kw} to serve one purpose, and every ally {hero} "
    "gains costs something that is never returned.",
    "Each step toward the {kw} brings {hero} closer to {villain}, who knows exactly which old "
    "wound to press.",
    "An uneasy alliance lets {hero} reach the heart of the {kw}, until {villain} reveals what "
    "it was built to hide.",
)
SYNOPSIS_ENDINGS = (
    "In the end {hero} must give up the thing that first drew them to the {kw} to save {place}.",
    "The last confrontation in {place} leaves {hero} changed, {villain} exposed and the {kw} "
    "unmade.",
    "What {hero} chooses at the last decides whether {place} remembers the {kw} as a curse or "
    "a promise.",
)
PART_NAMES = {
    "opening": ("Arrival", "Ordinary Days", "First Light", "The Quiet Before"),
    "complication": ("Crossing Lines", "Rising Water", "Debts Come Due", "The Wrong Door"),
    "middle": ("The Turn", "Broken Faith", "Midpoint", "The Mirror"),
    "crisis": ("Darkest Hour", "Burning Bridges", "The Fall", "Undertow"),
    "ending": ("Reckoning", "Homecoming", "What Remains", "The Last Word"),
}
PART_SUMMARIES = {
    "opening": (
        "{hero}'s life in {place} is shown in full, and so is the price of the {kw}.",
        "We meet {hero} in {place}, where the {kw} is a fact of life nobody questions.",
    ),
    "complication": (
        "{hero} commits to {want}, and {villain} notices the {kw} stirring.",
        "A first move against the {kw} puts {hero} in debt to strangers and in sight of {villain}.",
    ),
    "middle": (
        "A discovery about the {kw} turns the hunt around and makes {villain} an open enemy.",
        "Halfway through, {hero} learns that everything {place} believed about the {kw} was a lie.",
    ),
    "crisis": (
        "{villain} strikes, {place} pays for it, and {hero} loses the last safe ground.",
        "Everything {hero} built collapses when {villain} turns the {kw} on {place} itself.",
    ),
    "ending": (
        "{hero} faces {villain} over the {kw}, and {place} is changed by the outcome.",
        "The reckoning in {place} costs {hero} dearly but breaks the hold of the {kw}.",
    ),
}
PHASES = {
    3: ("opening", "middle", "ending"),
    4: ("opening", "complication", "crisis", "ending"),
    5: ("opening", "complication", "middle", "crisis", "ending"),
}


def write_story(draft: Draft) -> Story:
    previous = draft.previous_as(Story)
    story = _repaired(previous, draft) if previous else _fresh(draft)
    return _revised(story, draft.revising())


def _title_and_themes(draft: Draft) -> tuple[str, list[str]]:
    concept = draft.upstream_as(Stage.CONCEPT, Concept)
    if concept is None:
        return f"The {draft.subject().title()} of {draft.canon.places[0]}", [draft.lex.themes[0]]
    return concept.chosen.title, list(concept.chosen.themes)


def _fresh(draft: Draft) -> Story:
    title, concept_themes = _title_and_themes(draft)
    slots = {
        "hero": draft.canon.people[0],
        "villain": draft.canon.people[1],
        "place": draft.canon.places[0],
        "archetype": draft.canon.hero_archetype,
        "want": draft.canon.hero_want,
        "threat": draft.canon.threat,
        "object": draft.pick(draft.lex.objects),
    }
    synopsis = " ".join(
        draft.write(variants, kw=draft.subject(), **slots)
        for variants in (SYNOPSIS_OPENINGS, SYNOPSIS_TURNS, SYNOPSIS_MIDDLES, SYNOPSIS_ENDINGS)
    )
    synopsis = f"{synopsis} {premise_sentence(draft.facts)}"
    extra_theme = [t for t in draft.lex.themes if t not in concept_themes]
    themes = concept_themes[:2] + draft.rng.sample(extra_theme, min(1, len(extra_theme)))
    return Story(
        title=title,
        logline=draft.write(LOGLINES, kw=draft.subject(), **slots),
        synopsis=synopsis,
        tone=draft.pick(draft.lex.tones),
        central_conflict=draft.write(CONFLICTS, kw=draft.subject(), **slots),
        themes=themes,
        structure=_structure(draft, slots),
    )


def _structure(draft: Draft, slots: dict[str, str]) -> list[StoryPart]:
    phases = PHASES[draft.rng.randint(3, 5)]
    return [
        StoryPart(
            name=draft.pick(PART_NAMES[phase]),
            summary=draft.write(PART_SUMMARIES[phase], kw=draft.subject(), **slots),
        )
        for phase in phases
    ]


def _repaired(story: Story, draft: Draft) -> Story:
    """The previous draft, agreeing again with the chosen concept's title and themes."""
    concept = draft.upstream_as(Stage.CONCEPT, Concept)
    if concept is None:
        return story
    themes = list(story.themes)
    wanted = {theme.lower() for theme in concept.chosen.themes}
    if not any(theme.lower() in wanted for theme in themes):
        themes = [concept.chosen.themes[0], *themes][:6]
    return story.model_copy(update={"title": concept.chosen.title, "themes": themes})


def _revised(story: Story, draft: Draft) -> Story:
    notes = draft.plan.notes_for(stage_takes_characters=False, stage_takes_world=False)
    if not notes:
        return story
    synopsis = with_sentence(
        story.synopsis, f"This draft answers the writer's note: {note_clause(notes)}.", LONG_LIMIT
    )
    tone = with_words(story.tone, [word for word in note_words(notes) if word != "tone"])
    return story.model_copy(update={"synopsis": synopsis, "tone": tone})
