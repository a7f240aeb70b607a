"""Places, factions and rules that a writer asked for by name or description."""

import re
from collections.abc import Sequence

from genesis_pipeline.domain.artifacts import Faction, Location, WorldRule, Worldview
from genesis_pipeline.gates.text import premise_keywords
from genesis_pipeline.generation.offline.drafting import Draft, upper_first
from genesis_pipeline.generation.offline.instructions import WorldRequest
from genesis_pipeline.generation.offline.names import entity_id

_RELATIVE_START = re.compile(r"^(?:where|which|that|who|whose|in which)\b", re.IGNORECASE)
_ARTICLE_START = re.compile(r"^(?:a|an|the)\b", re.IGNORECASE)
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)
_RELATIVE_CLAUSE = re.compile(r"\b(?:where|which|that|who|whose|with)\b", re.IGNORECASE)


def add_world_elements(
    world: Worldview, requests: Sequence[WorldRequest], draft: Draft
) -> Worldview:
    for request in requests:
        if request.kind == "location":
            world = world.model_copy(
                update={"locations": [*world.locations, _location(world, request, draft)]}
            )
        elif request.kind == "faction":
            world = world.model_copy(
                update={"factions": [*world.factions, _faction(world, request, draft)]}
            )
        else:
            world = world.model_copy(update={"rules": [*world.rules, _rule(world, request, draft)]})
    return world


def described(name: str, description: str, fallback: str) -> str:
    """A first sentence that gives the element's name and the writer's description of it."""
    text = description.strip().rstrip(".") or fallback
    if _RELATIVE_START.match(text):
        return f"{name}, {text}."
    if _ARTICLE_START.match(text):
        return f"{name} is {text}."
    return f"{name}: {text}."


def _name(
    request: WorldRequest, taken: Sequence[str], pattern: str, draft: Draft, size: int = 1
) -> str:
    """The requested name, or one made from the first meaningful words of the description.

    Only the words before a relative clause count: "a drowned chapel where the priests pray"
    names the Drowned Chapel, not the Chapel Priests.
    """
    taken_lower = {name.lower() for name in taken}
    if request.name:
        name = _LEADING_THE.sub("", request.name).strip()
    else:
        head = _RELATIVE_CLAUSE.split(request.description, maxsplit=1)[0]
        words = premise_keywords(head)[:size] or [draft.subject()]
        name = pattern.format(words=" ".join(word.title() for word in words))
    while name.lower() in taken_lower:
        name = f"{name} of {draft.forge(taken).place_stem()}"
    return upper_first(name)


def _location(world: Worldview, request: WorldRequest, draft: Draft) -> Location:
    name = _name(request, [place.name for place in world.locations], "{words}", draft, size=2)
    owner = draft.pick(world.factions)
    description = (
        described(name, request.description, f"a place bound up with the {draft.subject()}")
        + f" It answers to the {owner.name}, and talk of the {draft.subject()} never stops there."
    )
    return Location(
        id=entity_id("loc", name, [place.id for place in world.locations]),
        name=name,
        description=description,
        faction_id=owner.id,
    )


def _faction(world: Worldview, request: WorldRequest, draft: Draft) -> Faction:
    taken = [faction.name for faction in world.factions]
    name = _name(request, taken, "{words} " + draft.pick(draft.lex.groups), draft)
    base = draft.pick(world.locations)
    kw = draft.subject()
    return Faction(
        id=entity_id("fac", name, [faction.id for faction in world.factions]),
        name=name,
        goal=f"The {name} wants a lasting hold on {base.name} and a say in how the {kw} is used.",
        description=described(name, request.description, f"a new power around the {kw}")
        + f" Its people gather in {base.name} and wherever the {draft.subject()} is traded.",
    )


def _rule(world: Worldview, request: WorldRequest, draft: Draft) -> WorldRule:
    name = _name(request, [rule.name for rule in world.rules], "Law of the {words}", draft)
    enforcer = draft.pick(world.factions)
    place = draft.pick(world.locations)
    return WorldRule(
        id=entity_id("rule", name, [rule.id for rule in world.rules]),
        name=name,
        description=described(name, request.description, f"a law about the {draft.subject()}")
        + f" The {enforcer.name} enforces it most strictly in {place.name}.",
    )
