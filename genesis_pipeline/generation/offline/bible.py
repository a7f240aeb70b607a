"""The story bible stage: blurb, style guide and glossary drawn from every earlier stage."""

from genesis_pipeline.domain.artifacts import (
    BibleNarrative,
    Cast,
    Concept,
    GlossaryEntry,
    Story,
    StyleGuide,
    Worldview,
)
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.defects import boilerplate
from genesis_pipeline.gates.text import placeholder_markers
from genesis_pipeline.generation.offline.drafting import Draft
from genesis_pipeline.generation.offline.premise import premise_sentence
from genesis_pipeline.generation.offline.weaving import (
    DESCRIPTIVE_LIMIT,
    LONG_LIMIT,
    note_clause,
    with_sentence,
)

BLURB_OPENINGS = (
    "{title} is {genre_article} {genre} novel set in {place}, where control of the {kw} "
    "decides who prospers and who disappears.",
    "Set in {place}, {title} is {genre_article} {genre} novel about the {kw} and the people who "
    "will not leave it alone.",
)
BLURB_PEOPLE = (
    "{hero} has every reason to look away; {villain} is counting on it.",
    "{hero} and {villain} want the same thing for opposite reasons, and only one can have it.",
)
BLURB_STAKES = (
    "With {faction} pressing from one side and the {kw2} from the other, every choice costs "
    "something that is never bought back.",
    "Between {faction} and the slow pull of the {kw2}, the story keeps returning to {theme}.",
)
BLURB_PROMISES = (
    "Readers who love {tone} storytelling will find a book that keeps its promises to the end.",
    "It is a {tone} book about {theme}, told one hard choice at a time.",
)
VOICES = (
    "{tone} prose that stays close to {hero}; concrete detail from {place}, no lectures about "
    "the {kw}, and dialogue that leaves things unsaid.",
    "A {tone} voice: sentences that move fast in danger and slow down in {place}, with the {kw} "
    "shown through what people do rather than explained.",
)
POINTS_OF_VIEW = ("close third person", "first person", "rotating close third person")
TENSES = ("past", "present")


def write_bible(draft: Draft) -> BibleNarrative:
    previous = draft.previous_as(BibleNarrative)
    bible = _repaired(previous, draft) if previous else _fresh(draft)
    return _revised(bible, draft.revising())


def _title(draft: Draft) -> str:
    story = draft.upstream_as(Stage.STORY, Story)
    if story is not None:
        return story.title
    concept = draft.upstream_as(Stage.CONCEPT, Concept)
    return concept.chosen.title if concept else f"The {draft.subject().title()}"


def _slots(draft: Draft) -> dict[str, str]:
    story = draft.upstream_as(Stage.STORY, Story)
    world = draft.upstream_as(Stage.WORLDVIEW, Worldview)
    cast = draft.upstream_as(Stage.CHARACTERS, Cast)
    people = {p.role: p.name for p in reversed(cast.characters)} if cast else {}
    genre = draft.facts.genre_label
    return {
        "title": _title(draft),
        "genre": genre,
        "genre_article": "an" if genre[:1].lower() in "aeiou" else "a",
        "place": world.locations[0].name if world else draft.canon.places[0],
        "faction": f"the {world.factions[0].name}" if world else "old powers",
        "hero": people.get("protagonist", draft.canon.people[0]),
        "villain": people.get("antagonist", draft.canon.people[1]),
        "tone": story.tone if story else draft.pick(draft.lex.tones),
        "theme": story.themes[0] if story else draft.pick(draft.lex.themes),
    }


def _blurb(draft: Draft, slots: dict[str, str]) -> str:
    blurb = " ".join(
        draft.write(variants, kw=draft.subject(), kw2=draft.subject(), **slots)
        for variants in (BLURB_OPENINGS, BLURB_PEOPLE, BLURB_STAKES, BLURB_PROMISES)
    )
    return f"{blurb} {premise_sentence(draft.facts)}"


def _fresh(draft: Draft) -> BibleNarrative:
    slots = _slots(draft)
    return BibleNarrative(
        title=slots["title"],
        blurb=_blurb(draft, slots),
        style_guide=StyleGuide(
            point_of_view=draft.pick(POINTS_OF_VIEW),
            tense=draft.pick(TENSES),
            voice=draft.write(VOICES, kw=draft.subject(), **slots),
        ),
        glossary=_glossary(draft),
    )


def _glossary(draft: Draft) -> list[GlossaryEntry]:
    world = draft.upstream_as(Stage.WORLDVIEW, Worldview)
    if world is None:
        return [
            GlossaryEntry(
                term=place,
                definition=f"{place} is a place in {_title(draft)}, bound up with the "
                f"{draft.subject()}.",
            )
            for place in draft.canon.places[:4]
        ]
    entries = (
        [(rule.name, "A rule of the world", rule.description) for rule in world.rules]
        + [(f.name, "A faction", f"{f.goal} {f.description}") for f in world.factions]
        + [(place.name, "A place", place.description) for place in world.locations]
    )
    chosen = draft.rng.sample(entries, min(len(entries), draft.rng.randint(4, 8)))
    terms: dict[str, GlossaryEntry] = {}
    for term, kind, description in chosen:
        # One sentence with the description, so no opening phrase repeats across entries.
        definition = f"{kind} in {_title(draft)}: {description}"[:DESCRIPTIVE_LIMIT]
        terms.setdefault(term.lower(), GlossaryEntry(term=term, definition=definition))
    return list(terms.values())


def _repaired(bible: BibleNarrative, draft: Draft) -> BibleNarrative:
    """The previous bible under the story's title, with any refusal or placeholder rewritten."""
    update: dict[str, object] = {"title": _title(draft)}
    if placeholder_markers(bible.blurb) or boilerplate(bible.blurb) or len(bible.blurb) < 150:
        update["blurb"] = _blurb(draft, _slots(draft))
    return bible.model_copy(update=update)


def _revised(bible: BibleNarrative, draft: Draft) -> BibleNarrative:
    notes = draft.plan.notes_for(stage_takes_characters=False, stage_takes_world=False)
    if not notes:
        return bible
    clause = note_clause(notes)
    blurb = with_sentence(bible.blurb, f"This edition honours the note: {clause}.", LONG_LIMIT)
    voice = with_sentence(
        bible.style_guide.voice, f"The voice also follows the note: {clause}.", DESCRIPTIVE_LIMIT
    )
    style = bible.style_guide.model_copy(update={"voice": voice})
    return bible.model_copy(update={"blurb": blurb, "style_guide": style})
