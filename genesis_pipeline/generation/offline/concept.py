"""The concept stage: three or four candidate concepts for the premise, one of them chosen."""

from genesis_pipeline.domain.artifacts import Concept, ConceptCandidate
from genesis_pipeline.gates.text import placeholder_markers
from genesis_pipeline.generation.offline.drafting import Draft
from genesis_pipeline.generation.offline.premise import premise_sentence
from genesis_pipeline.generation.offline.weaving import (
    DESCRIPTIVE_LIMIT,
    note_clause,
    with_sentence,
)

TITLE_FORMS = (
    "The {noun} of {place}",
    "{Subject} and the {noun}",
    "The {adj} {Subject}",
    "A {noun} for {place}",
    "{first}'s {noun}",
    "The Last {Subject}",
    "{adj} {noun}",
    "Under the {adj} {noun}",
    "What the {Subject} Kept",
)
HOOKS = (
    "When {archetype} in {place} stumbles on {object}, the riddle of the {kw} is all that "
    "stands between {person} and {threat}.",
    "{archetype} named {person} has one season to {want}, but {object} drags the {kw} of "
    "{place} into the light, and with it {threat}.",
    "Nobody in {place} talks about the {kw} until {person}, {archetype}, finds {object} and "
    "sees that it points straight at {threat}.",
    "In {place}, {person} must {want} while {threat} closes in, and the way through is {object} "
    "hidden somewhere behind the {kw}.",
    "{object} surfaces in {place}, and {person}, {archetype}, is the only one who understands "
    "what it says about the {kw} and about {threat}.",
    "To {want}, {person} has to bargain with the keepers of the {kw} in {place}, knowing that "
    "{object} is the price and {threat} the penalty for failing.",
)
RATIONALES = (
    "{title} is the strongest of the {count} candidates: it ties the {kw} and the {kw2} of the "
    "premise to {threat}, and gives {person} a goal a reader can follow across a whole book.",
    "Choosing {title} keeps the premise's {kw} at the centre while {threat} supplies a ticking "
    "clock; the other {other} candidates scatter the {kw2} across too many threads.",
    "The premise promises {kw} and {kw2}; {title} delivers both through {person}, whose stake in "
    "{threat} is personal from the first page.",
)
GENRE_SHADES = ("dark", "intimate", "sweeping", "quiet", "high-stakes", "character-driven")


def write_concept(draft: Draft) -> Concept:
    previous = draft.previous_as(Concept)
    concept = _repaired(previous, draft) if previous else _fresh(draft)
    return _revised(concept, draft.revising())


def _fresh(draft: Draft) -> Concept:
    count = draft.rng.randint(3, 4)
    selected = draft.rng.randrange(count)
    forge = draft.forge()
    titles: list[str] = []
    candidates: list[ConceptCandidate] = []
    for index in range(count):
        # The chosen candidate uses the session's own names, which the story will reuse.
        person = draft.canon.people[0] if index == selected else forge.person()
        place = draft.canon.places[0] if index == selected else forge.place_stem()
        titles.append(_title(draft, titles, person, place))
        candidates.append(
            ConceptCandidate(
                title=titles[-1],
                hook=_hook(draft, person, place, chosen=index == selected),
                genre=_genre(draft, index),
                themes=_themes(draft),
            )
        )
    return Concept(
        candidates=candidates,
        selected=selected,
        rationale=_rationale(draft, candidates[selected], count),
    )


def _title(draft: Draft, taken: list[str], person: str, place: str) -> str:
    lowered = {title.lower() for title in taken}
    title = ""
    for _ in range(20):
        title = draft.pick(TITLE_FORMS).format(
            noun=draft.pick(draft.lex.title_nouns),
            adj=draft.pick(draft.lex.adjectives),
            Subject=draft.subject().title(),
            place=place,
            first=person.split()[0],
        )
        if title.lower() not in lowered:
            return title
    return f"{title} {len(taken) + 1}"


def _hook(draft: Draft, person: str, place: str, chosen: bool) -> str:
    canon, lex = draft.canon, draft.lex
    hook = draft.write(
        HOOKS,
        archetype=canon.hero_archetype if chosen else draft.pick(lex.archetypes),
        person=person,
        place=place,
        object=draft.pick(lex.objects),
        threat=canon.threat if chosen else draft.pick(lex.threats),
        want=canon.hero_want if chosen else draft.pick(lex.wants),
        kw=draft.subject(),
    )
    # The chosen hook is what the story is built on: it carries the premise itself.
    return f"{hook} {premise_sentence(draft.facts)}" if chosen else hook


def _genre(draft: Draft, index: int) -> str:
    label = draft.facts.genre_label
    if index == 0 or label != draft.lex.label:
        # A genre the writer named is kept exactly as written.
        return label
    return f"{draft.pick(GENRE_SHADES)} {label}"


def _themes(draft: Draft) -> list[str]:
    themes = draft.rng.sample(draft.lex.themes, draft.rng.randint(2, 3))
    if draft.rng.random() < 0.5:
        themes.append(f"the cost of {draft.subject()}")
    return themes


def _rationale(draft: Draft, chosen: ConceptCandidate, count: int) -> str:
    rationale = draft.write(
        RATIONALES,
        title=chosen.title,
        count=str(count),
        other=str(count - 1),
        kw=draft.subject(),
        kw2=draft.subject(),
        threat=draft.canon.threat,
        person=draft.canon.people[0],
    )
    return f"{rationale} {premise_sentence(draft.facts)}"


def _repaired(concept: Concept, draft: Draft) -> Concept:
    """The previous draft with placeholder, too-short or duplicated text written anew."""
    candidates: list[ConceptCandidate] = []
    titles: list[str] = []
    for index, candidate in enumerate(concept.candidates):
        title = candidate.title
        if placeholder_markers(title) or title.lower() in {t.lower() for t in titles}:
            title = _title(draft, titles, draft.canon.people[0], draft.canon.places[0])
        titles.append(title)
        hook = candidate.hook
        if placeholder_markers(hook) or len(hook) < 40:
            chosen = index == concept.selected
            person = draft.canon.people[0] if chosen else draft.forge().person()
            place = draft.canon.places[0] if chosen else draft.forge().place_stem()
            hook = _hook(draft, person, place, chosen)
        themes = [theme for theme in candidate.themes if not placeholder_markers(theme)]
        candidates.append(
            candidate.model_copy(
                update={"title": title, "hook": hook, "themes": themes or _themes(draft)}
            )
        )
    rationale = concept.rationale
    if placeholder_markers(rationale) or len(rationale) < 40:
        rationale = _rationale(draft, candidates[concept.selected], len(candidates))
    return Concept(candidates=candidates, selected=concept.selected, rationale=rationale)


def _revised(concept: Concept, draft: Draft) -> Concept:
    notes = draft.plan.notes_for(stage_takes_characters=False, stage_takes_world=False)
    if not notes:
        return concept
    chosen = concept.chosen
    hook = with_sentence(
        chosen.hook, f"Reworked to answer the note: {note_clause(notes)}.", DESCRIPTIVE_LIMIT
    )
    candidates = list(concept.candidates)
    candidates[concept.selected] = chosen.model_copy(update={"hook": hook})
    return concept.model_copy(update={"candidates": candidates})
