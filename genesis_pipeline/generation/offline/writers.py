"""The offline generator's six stage writers: a test double's drafts, not a writer's.

Each stage is one short template filled with the premise, the session's names (see `canon`) and
the upstream artifacts, so a whole session runs in milliseconds with artifacts that hang
together: the story quotes its premise, the cast is the people the story names, every beat
points at the cast and the world. Revision instructions are honoured literally (see
`instructions`): requested characters and places join the draft, notes are written into it.
Nothing here knows how a gate scores a draft; the drafts are English, and premises in other
languages or very long ones may fail the gates, which is what a real model is for.
"""

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from genesis_pipeline.domain.artifacts import (
    Act,
    Artifact,
    Beat,
    BibleNarrative,
    Cast,
    Chapter,
    Character,
    CharacterRole,
    Concept,
    ConceptCandidate,
    Faction,
    GlossaryEntry,
    Location,
    PlotOutline,
    Relationship,
    Story,
    StoryPart,
    StyleGuide,
    WorldRule,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.text import STOPWORDS, premise_keywords
from genesis_pipeline.generation.offline.canon import Canon, entity_id
from genesis_pipeline.generation.offline.instructions import (
    CharacterRequest,
    RevisionPlan,
    WorldRequest,
)

_THEMES = "memory loyalty grief ambition belonging truth sacrifice freedom trust forgiveness"
_TITLE_NOUNS = "Ledger Tide Lantern Reckoning Crossing Vigil Inheritance Almanac Covenant Hour"
_TONES = ("Quiet and tense", "Wry and melancholy", "Taut and atmospheric", "Warm but uneasy")
_ALTERNATE_GENRES = ("Mystery", "Fable", "Family saga", "Thriller", "Romance")
_DETERMINERS_TEXT = "a an the every each her his their its our my your this these those"
_PHRASE_ENDS_TEXT = "in on at of to by for and or but as is are was who that she he they it"
_DETERMINERS = frozenset(_DETERMINERS_TEXT.split())
_PHRASE_ENDS = STOPWORDS | _DETERMINERS | frozenset(_PHRASE_ENDS_TEXT.split())
# Words that end a noun phrase after a determiner without being its noun ("the dead").
_NOT_HEADS_TEXT = "dead living open last first old new own other same true free lost"
_NOT_HEADS = frozenset(_NOT_HEADS_TEXT.split())
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
SHORT_LIMIT, DESCRIPTIVE_LIMIT, LONG_LIMIT = 120, 1500, 4000
_RELATIVE_WORDS = frozenset({"where", "who", "which", "that", "whose", "when"})


@dataclass(frozen=True)
class Draft:
    """What one stage's writer works from."""

    spec: SessionSpec
    canon: Canon
    rng: random.Random  # seeded by the request: the same request writes the same draft
    upstream: Mapping[Stage, Artifact]
    previous: Artifact | None
    plan: RevisionPlan

    @property
    def premise(self) -> str:
        """The premise as one sentence of its own."""
        text = " ".join(self.spec.premise.split()).rstrip(".!?…")
        return f"{text[:1].upper()}{text[1:]}."

    @property
    def subject(self) -> str:
        return premise_subject(self.spec.premise)

    def concept(self) -> ConceptCandidate | None:
        concept = self.upstream.get(Stage.CONCEPT)
        return concept.chosen if isinstance(concept, Concept) else None

    def world(self) -> Worldview:
        world = self.upstream.get(Stage.WORLDVIEW)
        return world if isinstance(world, Worldview) else write_worldview(self)

    def cast(self) -> Cast:
        cast = self.upstream.get(Stage.CHARACTERS)
        return cast if isinstance(cast, Cast) else write_characters(self)


@cache
def premise_subject(premise: str) -> str:
    """What the premise turns on, for titles and short references ("the opera"): the noun of
    its last noun phrase, which is where an English premise puts its object."""
    words = [*_WORD.findall(premise), "."]
    heads = []
    for i, word in enumerate(words):
        if word.lower() not in _DETERMINERS:
            continue
        phrase: list[str] = []
        for j in range(i + 1, min(i + 4, len(words) - 1)):
            # "keeper learns that", "town fights to": a verb ends the phrase.
            verb = phrase and words[j].endswith("s") and words[j + 1].lower() in _PHRASE_ENDS
            if words[j].lower() in _PHRASE_ENDS or verb:
                break
            phrase.append(words[j])
        while phrase and phrase[-1].lower() in _NOT_HEADS:
            phrase.pop()
        heads.extend(phrase[-1:])
    return heads[-1] if heads else (premise_keywords(premise) or ["story"])[0]


def _noted(text: str, notes: Sequence[str], limit: int = DESCRIPTIVE_LIMIT) -> str:
    """The text with the writer's notes added as a last sentence, within the field's limit."""
    if not notes:
        return text
    clause = "; ".join(note.strip().rstrip(".!?;:") for note in notes)
    sentence = f" Revised as asked: {clause[:1].lower()}{clause[1:]}."
    if sentence.strip() in text:
        return text
    return text[: max(0, limit - len(sentence))].rstrip() + sentence


def _short_noted(text: str, notes: Sequence[str]) -> str:
    words = " ".join(notes).rstrip(".!?;:")
    combined = f"{text}; {words[:1].lower()}{words[1:]}" if words else text
    return combined if len(combined) <= SHORT_LIMIT else combined[:SHORT_LIMIT].rsplit(" ", 1)[0]


# --- concept and story ---------------------------------------------------------------------
def write_concept(draft: Draft) -> Concept:
    themes = draft.rng.sample(_THEMES.split(), 6)
    nouns = draft.rng.sample(_TITLE_NOUNS.split(), 3)
    titles = [f"The {draft.subject.title()} {noun}" for noun in nouns]
    genre = (draft.spec.genre or "Literary fiction").strip()[:SHORT_LIMIT]
    others = [g for g in _ALTERNATE_GENRES if g.lower() != genre.lower()][:2]
    premise_clause = draft.premise.rstrip(".")
    if premise_clause.split()[0].lower() in _PHRASE_ENDS:  # "A detective…", not "Mars…"
        premise_clause = premise_clause[:1].lower() + premise_clause[1:]
    hooks = [
        f"{draft.premise} It is told close to the one person who cannot look away from it.",
        f"Told as a {others[0].lower()}: {premise_clause}, and {themes[2]} is what it costs.",
        f"Told as a {others[1].lower()}, the same premise turns on {themes[4]}: who keeps "
        f"faith with the {draft.subject} when it stops being safe to.",
    ]
    candidates = [
        ConceptCandidate(title=title, hook=hook, genre=kind, themes=themes[2 * i : 2 * i + 2])
        for i, (title, hook, kind) in enumerate(zip(titles, hooks, [genre, *others], strict=True))
    ]
    rationale = (
        f"{titles[0]} stays closest to the premise and leaves room for {themes[0]} and "
        f"{themes[1]}; the {others[0].lower()} and the {others[1].lower()} would each trade "
        "part of it for a genre's habits."
    )
    return Concept(candidates=candidates, selected=0, rationale=_noted(rationale, draft.plan.notes))


def write_story(draft: Draft) -> Story:
    chosen = draft.concept()
    title = chosen.title if chosen else f"The {draft.subject.title()} Ledger"
    themes = list(chosen.themes) if chosen else ["truth", "memory"]
    hero, foe, ally = draft.canon.hero, draft.canon.antagonist, draft.canon.ally
    synopsis = (
        f"{draft.premise} At first {hero} keeps it quiet and trusts only {ally}. {foe} learns "
        f"of it and moves first, and by the midpoint {hero} has lost the one refuge left. In "
        f"the end {hero} chooses {themes[0]} over safety, and pays for the choice."
    )
    notes = draft.plan.notes_for(stage_takes_characters=False, stage_takes_world=False)
    parts = [
        ("Discovery", f"{hero} finds out what the {draft.subject} means and tells only {ally}."),
        ("Pressure", f"{foe} closes in, and {ally} has to choose between {hero} and safety."),
        ("Reckoning", f"{hero} faces {foe} in the open, and neither leaves it unchanged."),
    ]
    return Story(
        title=title,
        logline=f"{draft.premise} {hero} has one season to set it right before {foe} takes it.",
        synopsis=_noted(synopsis, notes),
        tone=_short_noted(draft.rng.choice(_TONES), notes),
        central_conflict=f"{hero} wants the {draft.subject} understood; {foe} wants it owned, "
        f"and will spend {ally}'s trust to get it.",
        themes=themes,
        structure=[StoryPart(name=name, summary=summary) for name, summary in parts],
    )


# --- world ---------------------------------------------------------------------------------
def write_worldview(draft: Draft) -> Worldview:
    world = draft.previous if isinstance(draft.previous, Worldview) else _new_world(draft)
    # A revision keeps the previous draft (and what a writer added to it) and mends the
    # references it broke: a place held by a faction that is not there falls to the first.
    faction_ids = {faction.id for faction in world.factions}
    locations = [
        place
        if place.faction_id in faction_ids | {None}
        else place.model_copy(update={"faction_id": world.factions[0].id})
        for place in world.locations
    ]
    setting = _noted(world.setting, draft.plan.notes_for(False, True), LONG_LIMIT)
    world = world.model_copy(update={"setting": setting, "locations": locations})
    for request in draft.plan.world:
        world = _with_world_element(world, request, draft.canon)
    return world


def _new_world(draft: Draft) -> Worldview:
    canon = draft.canon
    factions = [
        Faction(
            id=entity_id("fac", name),
            name=name,
            goal=f"To hold {canon.places[i]} and everything said there about the {draft.subject}.",
            description=f"The {name} keeps its ledgers at {canon.places[i]} and its quarrels "
            f"with the {canon.factions[1 - i]} in the open.",
        )
        for i, name in enumerate(canon.factions[:2])
    ]
    locations = [
        Location(
            id=entity_id("loc", name),
            name=name,
            description=f"{name} is where {person} goes when the {draft.subject} cannot wait; "
            f"the {canon.factions[i % 2]} watches who comes and goes.",
            faction_id=factions[i % 2].id,
        )
        for i, (name, person) in enumerate(zip(canon.places[:4], canon.people, strict=False))
    ]
    laws = ("Whatever is promised aloud is written down", "No one may sell a name twice")
    rules = [
        WorldRule(
            id=entity_id("rule", name),
            name=name,
            description=f"{law} at {canon.places[i]}, and the {canon.factions[i]} sees it kept.",
        )
        for i, (name, law) in enumerate(zip(canon.laws, laws, strict=False))
    ]
    return Worldview(
        setting=f"{draft.premise} The story keeps to {canon.places[0]}, {canon.places[1]} and "
        f"{canon.places[2]}, where the {canon.factions[0]} and the {canon.factions[1]} have "
        "divided what little there is to divide.",
        rules=rules,
        locations=locations,
        factions=factions,
        history=[
            f"Forty years ago the {canon.factions[0]} took {canon.places[0]} and wrote the "
            f"first of its laws about the {draft.subject}.",
            f"Within living memory the {canon.factions[1]} bought {canon.places[1]}, and "
            f"{canon.antagonist} was born into its debts.",
        ],
    )


def _with_world_element(world: Worldview, request: WorldRequest, canon: Canon) -> Worldview:
    items: list[Location | Faction | WorldRule] = [*world.locations, *world.factions, *world.rules]
    taken, ids = [item.name for item in items], [item.id for item in items]
    anchor, guard = world.locations[0], world.factions[0]
    if request.kind == "location":
        name = _requested_name(request.name, canon.spare_place(taken))
        place = Location(
            id=entity_id("loc", name, ids),
            name=name,
            description=f"{_described(name, request.description)}, not far from {anchor.name}.",
            faction_id=guard.id,
        )
        return world.model_copy(update={"locations": [*world.locations, place]})
    if request.kind == "faction":
        name = _requested_name(request.name, f"{canon.spare_place(taken).split()[0]} Compact")
        faction = Faction(
            id=entity_id("fac", name, ids),
            name=name,
            goal=f"To keep its own hold on {anchor.name} and on everything that passes through it.",
            description=f"{_described(name, request.description)}; it answers to no one at "
            f"{anchor.name}.",
        )
        return world.model_copy(update={"factions": [*world.factions, faction]})
    name = _requested_name(request.name, f"The {canon.spare_place(taken).split()[0]} Rule")
    rule = WorldRule(
        id=entity_id("rule", name, ids),
        name=name,
        description=f"{_described(name, request.description)}; the {guard.name} enforces it "
        f"at {anchor.name}.",
    )
    return world.model_copy(update={"rules": [*world.rules, rule]})


def _requested_name(asked: str | None, spare: str) -> str:
    if not asked:
        return spare
    name = asked.removeprefix("the ").removeprefix("The ")
    return name[:1].upper() + name[1:]


def _described(name: str, description: str) -> str:
    """The writer's description as the start of a sentence about `name`."""
    text = description.strip().rstrip(".;,")
    if not text:
        return name
    if text.split()[0].lower() in _RELATIVE_WORDS:
        return f"{name}, {text[:1].lower()}{text[1:]}"
    return text[:1].upper() + text[1:]


# --- cast ----------------------------------------------------------------------------------
_ROLES: tuple[tuple[CharacterRole, str, str, str], ...] = (
    # role, goal, flaw, arc; {name}, {hero}, {place}, {faction}, {subject}, {premise} filled in
    (
        "protagonist",
        "{premise} {name} wants to see it through without losing {place}.",
        "{name} trusts no one with the {subject}, not even the people who could help.",
        "{name} learns to ask for help at {place} and to live with the answer.",
    ),
    (
        "antagonist",
        "{name} wants the {subject} for the {faction}, whatever it costs {hero}.",
        "{name} will not take a refusal, least of all from {hero}.",
        "{name} wins everything at {place} except what was wanted.",
    ),
    (
        "ally",
        "{name} wants {hero} safe and the {subject} out of the {faction}'s hands.",
        "{name} keeps a secret about {place} for far too long.",
        "{name} stops protecting {hero} and starts standing beside them.",
    ),
    (
        "mentor",
        "{name} wants to pass on what {place} taught about the {subject}.",
        "{name} mistakes caution for wisdom and warns {hero} off too often.",
        "{name} risks the standing earned at {place} for one last lesson.",
    ),
    (
        "rival",
        "{name} wants the credit for the {subject} that {hero} refuses to take.",
        "{name} measures everything at {place} against {hero}.",
        "{name} ends the story owing {hero}, and saying so.",
    ),
)
# A requested main role moves whoever held it (and the roles below it) one step aside.
_STEP_ASIDE: dict[str, CharacterRole] = {"protagonist": "deuteragonist", "deuteragonist": "ally"}


def write_characters(draft: Draft) -> Cast:
    world = draft.world()
    if isinstance(draft.previous, Cast):
        cast = _mended(draft.previous, world)
    else:
        cast = _new_cast(draft, world)
    hero = cast[0]
    cast[0] = hero.model_copy(update={"arc": _noted(hero.arc, draft.plan.notes_for(True, False))})
    for request in draft.plan.characters:
        cast = _with_character(cast, request, draft.canon, world)
    return Cast(characters=cast)


def _new_cast(draft: Draft, world: Worldview) -> list[Character]:
    places, factions, canon = world.locations, world.factions, draft.canon
    cast = []
    for i, (name, (role, *texts)) in enumerate(zip(canon.people, _ROLES, strict=False)):
        place = places[i % len(places)]
        slots = {
            "name": name,
            "hero": canon.hero,
            "place": place.name,
            "faction": factions[-1].name,
            "subject": draft.subject,
            "premise": draft.premise,
        }
        goal, flaw, arc = (text.format(**slots) for text in texts)
        other = canon.antagonist if role == "protagonist" else canon.hero
        cast.append(
            Character(
                id=entity_id("char", name),
                name=name,
                role=role,
                goal=goal,
                flaw=flaw,
                arc=arc,
                home_location_id=place.id,
                faction_id=factions[-1].id if role == "antagonist" else None,
                relationships=[
                    Relationship(
                        character_id=entity_id("char", other),
                        kind={"protagonist": "nemesis", "antagonist": "obsession"}.get(role, role),
                        description=f"{name} and {other} have known each other too long to be "
                        "polite.",
                    )
                ],
            )
        )
    return cast


def _mended(cast: Cast, world: Worldview) -> list[Character]:
    """The previous cast, with references to places, factions and people that are gone
    pointed at ones that exist (or dropped)."""
    place_ids = [place.id for place in world.locations]
    faction_ids = {faction.id for faction in world.factions}
    ids = {person.id for person in cast.characters}
    return [
        person.model_copy(
            update={
                "home_location_id": person.home_location_id
                if person.home_location_id in place_ids
                else place_ids[i % len(place_ids)],
                "faction_id": person.faction_id if person.faction_id in faction_ids else None,
                "relationships": [
                    link for link in person.relationships if link.character_id in ids - {person.id}
                ],
            }
        )
        for i, person in enumerate(cast.characters)
    ]


def _with_character(
    cast: list[Character], request: CharacterRequest, canon: Canon, world: Worldview
) -> list[Character]:
    name = _requested_name(request.name, canon.spare_person(p.name for p in cast))
    place = world.locations[len(cast) % len(world.locations)]
    hero = next((p for p in cast if p.role == "protagonist"), cast[0])
    if request.role in _STEP_ASIDE:
        moving = {"protagonist": ("protagonist", "deuteragonist")}.get(
            request.role, (request.role,)
        )
        cast = [
            p.model_copy(update={"role": _STEP_ASIDE[p.role]}) if p.role in moving else p
            for p in cast
        ]
    about = request.description.strip().rstrip(".;,")
    added = Character(
        id=entity_id("char", name, [p.id for p in cast]),
        name=name,
        role=request.role,
        goal=f"{name} wants a part in what happens at {place.name}"
        + (f": {about}." if about else "."),
        flaw=f"{name} arrives at {place.name} late and says too much too soon.",
        arc=f"{name} earns a place beside {hero.name} at {place.name}.",
        home_location_id=place.id,
        relationships=[
            Relationship(
                character_id=hero.id,
                kind="acquaintance",
                description=f"{name} met {hero.name} at {place.name}, and neither forgot it.",
            )
        ],
    )
    return [*cast, added]


# --- plot and bible ------------------------------------------------------------------------
_ACTS = (
    ("The Finding", "{hero} finds out what the {subject} means, and {foe} hears of it."),
    ("The Pressure", "{foe} moves first and {hero} loses ground at {place}."),
    ("The Reckoning", "{hero} and {foe} settle it at {place}, at a price."),
)
_BEATS = (
    "{premise} It begins with {a} at {place}.",
    "{a} tells {b} about the {subject} at {place}, and regrets it by morning.",
    "{a} follows a rumour to {place} and finds {b} already there.",
    "{b} asks {a} for one favour at {place} and will not say why.",
    "{a} loses the argument at {place}, and {b} watches it happen.",
    "{b} is seen at {place} with the wrong people, and {a} has to answer for it.",
    "{a} hides what is left of the {subject} at {place} with the help of {b}.",
    "{b} turns on {a} at {place}, and the reason is older than either admits.",
    "{a} goes back to {place} alone, and {b} follows at a distance.",
    "{a} and {b} stop pretending at {place}: the {subject} was never theirs.",
    "{a} makes the offer at {place} that {b} always expected to refuse.",
    "{a} leaves {place} at dawn, and {b} lets the door stay open.",
)


def write_plot(draft: Draft) -> PlotOutline:
    cast, places = draft.cast().characters, draft.world().locations
    hero = next((p for p in cast if p.role == "protagonist"), cast[0])
    foe = next((p for p in cast if p.role == "antagonist"), cast[-1])
    acts = []
    for a, (act_title, act_summary) in enumerate(_ACTS):
        chapters = []
        for c in range(2):
            number = a * 2 + c + 1
            beats = [_beat(draft, number, b, cast, hero, foe, places) for b in range(2)]
            people = " and ".join(
                dict.fromkeys(p.name for p in cast if p.id in beats[0].character_ids)
            )
            chapters.append(
                Chapter(
                    number=number,
                    title=f"{act_title.removeprefix('The ')}, part {c + 1}",
                    summary=f"Chapter {number} puts {people} at {places[number % len(places)].name}"
                    f", and the {draft.subject} changes hands.",
                    beats=beats,
                )
            )
        summary = act_summary.format(
            hero=hero.name, foe=foe.name, place=places[a % len(places)].name, subject=draft.subject
        )
        notes = draft.plan.notes_for(False, False) if a == 0 else ()
        acts.append(
            Act(number=a + 1, title=act_title, summary=_noted(summary, notes), chapters=chapters)
        )
    # A cast larger than the beats: whoever is not in a beat yet joins the last one.
    last = acts[-1].chapters[-1].beats[-1]
    placed = {
        c for act in acts for ch in act.chapters for beat in ch.beats for c in beat.character_ids
    }
    last.character_ids.extend(p.id for p in cast if p.id not in placed)
    return PlotOutline(acts=acts)


def _beat(
    draft: Draft,
    chapter: int,
    index: int,
    cast: list[Character],
    hero: Character,
    foe: Character,
    places: list[Location],
) -> Beat:
    n = (chapter - 1) * 2 + index
    first = cast[n % len(cast)]
    second = foe if first is hero else hero
    place = places[n % len(places)]
    summary = _BEATS[n].format(
        premise=draft.premise, a=first.name, b=second.name, place=place.name, subject=draft.subject
    )
    return Beat(
        id=f"beat_{chapter}_{index + 1}",
        summary=summary,
        character_ids=[first.id, second.id],
        location_id=place.id,
    )


def write_bible(draft: Draft) -> BibleNarrative:
    story = draft.upstream.get(Stage.STORY)
    title = story.title if isinstance(story, Story) else f"The {draft.subject.title()} Ledger"
    world, cast = draft.world(), draft.cast().characters
    hero = next((p for p in cast if p.role == "protagonist"), cast[0])
    foe = next((p for p in cast if p.role == "antagonist"), cast[-1])
    notes = draft.plan.notes_for(False, False)
    blurb = (
        f"{draft.premise} {hero.name} would rather be left alone, but {foe.name} will not "
        f"allow it, and between {world.locations[0].name} and {world.locations[1].name} the "
        f"two of them find out what the {draft.subject} is worth."
    )
    entries: list[Location | Faction | WorldRule] = [
        world.locations[0],
        world.factions[0],
        world.rules[0],
    ]
    return BibleNarrative(
        title=title,
        blurb=_noted(blurb, notes),
        style_guide=StyleGuide(
            point_of_view=f"Close third person on {hero.name}"[:SHORT_LIMIT],
            tense="Past",
            voice=_noted(
                f"Plain, concrete sentences; {hero.name}'s doubts are shown, never explained.",
                notes,
            ),
        ),
        glossary=[
            GlossaryEntry(term=entry.name, definition=entry.description) for entry in entries
        ],
    )
