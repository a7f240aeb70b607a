"""The characters stage: a cast of four to seven, tied to the world's places and factions."""

from genesis_pipeline.domain.artifacts import Cast, Character, CharacterRole, Relationship, Story
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.names import name_mentions
from genesis_pipeline.generation.offline.cast_additions import (
    WorldRefs,
    add_characters,
    balanced_roles,
    relationship_kind,
    world_refs,
)
from genesis_pipeline.generation.offline.drafting import Draft
from genesis_pipeline.generation.offline.names import entity_id
from genesis_pipeline.generation.offline.weaving import (
    DESCRIPTIVE_LIMIT,
    note_clause,
    with_sentence,
)

GOALS = {
    "protagonist": (
        "{name} wants to {want} before {threat} reaches {home}.",
        "More than anything, {name} needs to {want}, and {home} is where it has to happen.",
    ),
    "antagonist": (
        "{name} means to own the {kw} outright and make {home} answer to {faction}.",
        "{name} wants {threat}, because only then will {home} need someone like {first}.",
    ),
    "deuteragonist": (
        "{name} wants to shield {hero} from the {kw} without admitting why, even in {home}.",
        "{name} needs {hero} to succeed in {home}, because {first}'s own future hangs on the {kw}.",
    ),
    "mentor": (
        "{name} wants to prepare {hero} for the {kw} before old mistakes in {home} repeat.",
        "{name} hopes to see {hero} finish what {first} abandoned in {home} years ago.",
    ),
    "ally": (
        "{name} wants {home} to survive and will follow {hero} while the {kw} is at stake.",
        "{name} wants to repay {hero} for a kindness in {home}, whatever the fight over the {kw} "
        "demands.",
    ),
    "rival": (
        "{name} wants to reach the {kw} before {hero} does and take the credit in {home}.",
        "{name} wants to prove to {home} that {hero} was never the right person for the {kw}.",
    ),
    "supporting": (
        "{name} wants a quiet life in {home}, but trouble over the {kw} keeps knocking at the "
        "door.",
        "{name} wants to keep a small business in {home} afloat while the fight over the {kw} "
        "upends it.",
    ),
}
ARCS = {
    "protagonist": (
        "{name} begins sure the {kw} can be ignored and ends carrying it for all of {home}.",
        "{name} is tested on {theme}, moving from {archetype} to the one person {home} "
        "trusts with the {kw}.",
    ),
    "antagonist": (
        "{name} starts as the respectable face of {faction} and ends exposed in {home}, clinging "
        "to the {kw}.",
        "{name} mistakes control of the {kw} for love of {home} and never learns the difference.",
    ),
    "deuteragonist": (
        "{name} moves from doubting {hero} to standing beside {hero} when the truth about the "
        "{kw} breaks open.",
        "{name} stops living in {hero}'s shadow and claims a part of the {kw} in {home}.",
    ),
    "mentor": (
        "{name} has to let {hero} make the mistakes {home} once punished, then tells the truth "
        "about the {kw}.",
        "{name} gives up the comfort of {home} to teach {hero} the real price of the {kw}.",
    ),
    "ally": (
        "{name} goes from reluctant helper to someone who risks {home} for the {kw}.",
        "{name} learns to speak up in {home}, and the {kw} is the first thing {first} fights for.",
    ),
    "rival": (
        "{name} competes with {hero} for the {kw} until a shared enemy in {home} forces a truce.",
        "{name} envies {hero} for most of the story and ends defending {home} at {hero}'s side.",
    ),
    "supporting": (
        "{name} only wants to be left alone in {home}, yet ends up holding the one secret about "
        "the {kw} that matters.",
        "{name} sees more of the {kw} than anyone in {home} notices and finally says so.",
    ),
}
FLAW_TEMPLATES = (
    "{name} {flaw}, and in {home} that habit has already cost a friend.",
    "Under pressure {name} {flaw}; the struggle over the {kw} gives that weakness plenty of room.",
    "{name} {flaw}, which {hero} learns to use and {home} learns to fear.",
)
BONDS = (
    "{a} and {b} met in {home}, and the question of the {kw} has stood between them ever since.",
    "{a} owes {b} a debt nobody in {home} knows about, and it is tied to the {kw}.",
    "What {a} feels for {b} is tangled in the {kw}: loyalty on good days, suspicion on the rest.",
    "{a} watches {b} closely, certain that {b_first} knows more about the {kw} than anyone admits.",
    "Since the trouble in {home}, {a} has trusted {b} with everything except the {kw}.",
)
SUPPORT_ROLES: tuple[CharacterRole, ...] = ("mentor", "ally", "rival", "supporting")


def write_characters(draft: Draft) -> Cast:
    refs = world_refs(draft)
    previous = draft.previous_as(Cast)
    people = _story_people(draft, refs)
    if previous and not set(people) <= {person.name for person in previous.characters}:
        previous = None  # the story was rewritten around other people: the cast starts over
    cast = _repaired(previous, refs) if previous else _fresh(draft, refs, people)
    return _revised(cast, draft.revising(), refs)


def _story_people(draft: Draft, refs: WorldRefs) -> list[str]:
    """The full names the story gives its people: a story regenerated with another seed names
    other people than the session canon, and the cast must hold them."""
    story = draft.upstream_as(Stage.STORY, Story)
    if story is None:
        return []
    world = {place.name for place in refs.places} | {faction.name for faction in refs.factions}
    text = "\n".join([story.logline, story.synopsis, story.central_conflict])
    return [name for name in name_mentions(text) if name not in world and " " in name]


def _roles(draft: Draft) -> list[CharacterRole]:
    roles: list[CharacterRole] = ["protagonist", "antagonist"]
    if draft.rng.random() < 0.5:
        roles.append("deuteragonist")
    size = draft.rng.randint(4, 7)
    while len(roles) < size:
        roles.append(draft.pick(SUPPORT_ROLES))
    return roles


def _fresh(draft: Draft, refs: WorldRefs, people: list[str]) -> Cast:
    story = draft.upstream_as(Stage.STORY, Story)
    theme = story.themes[0] if story else draft.pick(draft.lex.themes)
    roles = _roles(draft)
    names = tuple(dict.fromkeys([*people, *draft.canon.people]))[: len(roles)]
    ids: list[str] = []
    for name in names:
        ids.append(entity_id("char", name, ids))
    hero = names[0]
    characters: list[Character] = []
    for index, (role, name) in enumerate(zip(roles, names, strict=True)):
        home = refs.places[0] if index == 0 else draft.pick(refs.places)
        faction = home.faction or (draft.pick(refs.factions) if refs.factions else None)
        if role != "antagonist" and draft.rng.random() < 0.4:
            faction = None
        slots = {
            "name": name,
            "first": name.split()[0],
            "hero": hero,
            "home": home.name,
            "faction": f"the {faction.name}" if faction else "the old families",
            # The protagonist is the one the story's logline already describes.
            "want": draft.canon.hero_want if index == 0 else draft.pick(draft.lex.wants),
            "threat": draft.canon.threat if index == 0 else draft.pick(draft.lex.threats),
            "archetype": draft.canon.hero_archetype,
            "flaw": draft.pick(draft.lex.flaws),
            "theme": theme,
        }
        characters.append(
            Character(
                id=ids[index],
                name=name,
                role=role,
                goal=draft.write(GOALS[role], kw=draft.subject(), **slots),
                flaw=draft.write(FLAW_TEMPLATES, kw=draft.subject(), **slots),
                arc=draft.write(ARCS[role], kw=draft.subject(), **slots),
                home_location_id=home.id,
                faction_id=faction.id if faction else None,
                relationships=_relationships(draft, index, roles, names, ids, home.name),
            )
        )
    return Cast(characters=characters)


def _relationships(
    draft: Draft,
    index: int,
    roles: list[CharacterRole],
    names: tuple[str, ...],
    ids: list[str],
    home: str,
) -> list[Relationship]:
    # Everyone is tied to the protagonist; the protagonist is tied to the other main roles.
    targets = [i for i, role in enumerate(roles) if role in ("antagonist", "deuteragonist")]
    linked = targets if index == 0 else [0]
    return [
        Relationship(
            character_id=ids[target],
            kind=relationship_kind(draft, roles[index], roles[target]),
            description=draft.write(
                BONDS,
                a=names[index],
                b=names[target],
                b_first=names[target].split()[0],
                home=home,
                kw=draft.subject(),
            ),
        )
        for target in linked
    ]


def _repaired(cast: Cast, refs: WorldRefs) -> Cast:
    """The previous cast, pointing only at places, factions and people that exist."""
    place_ids = [place.id for place in refs.places]
    faction_ids = {faction.id for faction in refs.factions}
    cast_ids = {person.id for person in cast.characters}
    characters = [
        person.model_copy(
            update={
                "home_location_id": person.home_location_id
                if person.home_location_id in place_ids
                else place_ids[index % len(place_ids)],
                "faction_id": person.faction_id if person.faction_id in faction_ids else None,
                "relationships": [
                    link
                    for link in person.relationships
                    if link.character_id in cast_ids and link.character_id != person.id
                ],
            }
        )
        for index, person in enumerate(cast.characters)
    ]
    return Cast(characters=balanced_roles(characters, keep_id=None))


def _revised(cast: Cast, draft: Draft, refs: WorldRefs) -> Cast:
    cast = add_characters(cast, draft.plan.characters, draft, refs)
    notes = draft.plan.notes_for(stage_takes_characters=True, stage_takes_world=False)
    if not notes:
        return cast
    characters = list(cast.characters)
    for index, person in enumerate(characters):
        if person.role == "protagonist":
            arc = f"{person.name.split()[0]}'s arc now follows the note: {note_clause(notes)}."
            characters[index] = person.model_copy(
                update={"arc": with_sentence(person.arc, arc, DESCRIPTIVE_LIMIT)}
            )
    return Cast(characters=characters)
