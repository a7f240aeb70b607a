"""What the cast stands on (the world's places and factions) and what a writer adds to it."""

from collections.abc import Sequence
from dataclasses import dataclass

from genesis_pipeline.domain.artifacts import (
    MAIN_ROLES,
    Cast,
    Character,
    CharacterRole,
    Relationship,
    Worldview,
)
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.offline.drafting import Draft
from genesis_pipeline.generation.offline.instructions import CharacterRequest
from genesis_pipeline.generation.offline.names import entity_id

MAX_MAIN = 3
_KINDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("protagonist", "antagonist"): ("nemesis", "old friend turned enemy", "estranged sibling"),
    ("protagonist", "deuteragonist"): ("partner", "closest friend", "sister in all but blood"),
    ("antagonist", "protagonist"): ("obsession", "unfinished business", "former protégé"),
    ("deuteragonist", "protagonist"): ("partner", "oldest friend"),
    ("mentor", "protagonist"): ("mentor", "teacher"),
    ("ally", "protagonist"): ("ally", "friend"),
    ("rival", "protagonist"): ("rival", "competitor"),
}
_SUPPORTING_KINDS = ("neighbour", "informant", "cousin", "confidant", "landlord")
# Demoting a main character to make room keeps their story, under a supporting role.
_DEMOTIONS: dict[str, CharacterRole] = {"deuteragonist": "ally", "antagonist": "rival"}


@dataclass(frozen=True)
class FactionRef:
    id: str
    name: str


@dataclass(frozen=True)
class PlaceRef:
    id: str
    name: str
    faction: FactionRef | None


@dataclass(frozen=True)
class WorldRefs:
    places: list[PlaceRef]
    factions: list[FactionRef]


def world_refs(draft: Draft) -> WorldRefs:
    """The worldview's places and factions; without one, the session's own place names."""
    world = draft.upstream_as(Stage.WORLDVIEW, Worldview)
    if world is None:
        places = [PlaceRef(entity_id("loc", name), name, None) for name in draft.canon.places]
        return WorldRefs(places, [])
    factions = {faction.id: FactionRef(faction.id, faction.name) for faction in world.factions}
    places = [
        PlaceRef(place.id, place.name, factions.get(place.faction_id or ""))
        for place in world.locations
    ]
    return WorldRefs(places, list(factions.values()))


def relationship_kind(draft: Draft, role: str, other_role: str) -> str:
    return draft.pick(_KINDS.get((role, other_role), _SUPPORTING_KINDS))


def add_characters(
    cast: Cast, requests: Sequence[CharacterRequest], draft: Draft, refs: WorldRefs
) -> Cast:
    characters = list(cast.characters)
    for request in requests:
        added = _character(request, characters, draft, refs)
        characters = balanced_roles([*characters, added], keep_id=added.id)
    return Cast(characters=characters)


def _character(
    request: CharacterRequest, cast: list[Character], draft: Draft, refs: WorldRefs
) -> Character:
    forge = draft.forge([person.name for person in cast])
    name = request.name if request.name and forge.is_free(request.name) else forge.person()
    description = request.description[:600] or draft.pick(draft.lex.archetypes)
    home = _home(description, refs, draft)
    hero = next((p for p in cast if p.role == "protagonist"), cast[0])
    kw = draft.subject()
    first = name.split()[0]
    return Character(
        id=entity_id("char", name, [person.id for person in cast]),
        name=name,
        role=request.role,
        goal=f"{name}, {description}, wants to {draft.pick(draft.lex.wants)} in {home.name}.",
        flaw=f"{first} {draft.pick(draft.lex.flaws)}, which {hero.name} notices first.",
        arc=f"Over the story {name} becomes essential to {hero.name}: {description} at first, "
        f"then the one who decides the price of the {kw} in {home.name}.",
        home_location_id=home.id,
        faction_id=home.faction.id if home.faction else None,
        relationships=[
            Relationship(
                character_id=hero.id,
                kind=relationship_kind(draft, request.role, "protagonist"),
                description=f"{first} meets {hero.name} in {home.name} over the {kw}, and "
                f"neither of them walks away unchanged.",
            )
        ],
    )


def _home(description: str, refs: WorldRefs, draft: Draft) -> PlaceRef:
    """The place the description names, else one chosen for the newcomer."""
    lowered = description.lower()
    named = [place for place in refs.places if place.name.lower() in lowered]
    return named[0] if named else draft.pick(refs.places)


def balanced_roles(characters: list[Character], keep_id: str | None) -> list[Character]:
    """Exactly one protagonist and at most three main roles, changing as few people as possible.

    `keep_id` is a newly requested character whose role the writer chose: others make room.
    """
    people = list(characters)
    heroes = [i for i, p in enumerate(people) if p.role == "protagonist"]
    if not heroes:
        people[0] = people[0].model_copy(update={"role": "protagonist"})
    keeper = next((i for i in heroes if people[i].id == keep_id), heroes[0] if heroes else 0)
    for i in heroes:
        if i != keeper:
            people[i] = people[i].model_copy(update={"role": "deuteragonist"})
    while sum(p.role in MAIN_ROLES for p in people) > MAX_MAIN:
        antagonists = sum(p.role == "antagonist" for p in people)
        movable = [
            i
            for i, p in enumerate(people)
            if p.id != keep_id
            and (p.role == "deuteragonist" or (p.role == "antagonist" and antagonists > 1))
        ]
        if not movable:
            break
        # Prefer demoting a deuteragonist: a story loses less without a second lead.
        movable.sort(key=lambda i: people[i].role != "deuteragonist")
        index = movable[0]
        people[index] = people[index].model_copy(update={"role": _DEMOTIONS[people[index].role]})
    return people
