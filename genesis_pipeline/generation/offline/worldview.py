"""The worldview stage: setting, places, factions, rules and history of the story's world."""

from genesis_pipeline.domain.artifacts import (
    Concept,
    Faction,
    Location,
    Story,
    WorldRule,
    Worldview,
)
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.offline.drafting import Draft
from genesis_pipeline.generation.offline.names import entity_id
from genesis_pipeline.generation.offline.premise import premise_sentence
from genesis_pipeline.generation.offline.weaving import LONG_LIMIT, note_clause, with_sentence
from genesis_pipeline.generation.offline.world_additions import add_world_elements

FACTION_GOALS = (
    "The {name} wants to control the {kw} of {place} and will use {threat} as cover to do it.",
    "To keep its grip on {place}, the {name} means to own every secret of the {kw} first.",
    "The {name} seeks to restore the old order in {place}, with the {kw} as proof and weapon.",
    "Above all, the {name} wants the {kw} kept away from {place}'s ordinary people.",
)
FACTION_DESCRIPTIONS = (
    "Founded in {place}, the {name} recruits among those ruined by the {kw} and rewards loyalty "
    "with protection.",
    "The {name} meets in the back rooms of {place}; its members wear no badge, but all of "
    "them know the old words about the {kw}.",
    "Feared and needed in equal measure, the {name} keeps the peace in {place} on its own "
    "terms and records every debt owed to the {kw}.",
    "Most of {place} pretends the {name} is a relic, which suits a group that has quietly steered "
    "the {kw} for decades.",
)
LOCATION_DESCRIPTIONS = (
    "{name} is where the pull of the {kw} is felt most; {holder} watches every arrival.",
    "Built around the old {kw}, {name} never fully sleeps, and {holder} keeps its keys.",
    "Travellers reach {name} by one road only, and {holder} decides who leaves again with "
    "anything to do with the {kw}.",
    "At {name} talk of the {kw} is part of daily life; {holder} makes sure it stays that way.",
    "Few maps mark {name}, but everyone tied to the {kw} ends up there sooner or later, and "
    "{holder} counts on it.",
)
RULE_DESCRIPTIONS = (
    "Under the {name}, anyone who takes from the {kw} owes it back threefold, and the "
    "{faction} collects.",
    "The {name} holds that the power of the {kw} can only be used where it was first found, which "
    "is why "
    "{place} matters so much.",
    "By the {name}, no promise made over the {kw} can be broken without a price paid in {place}.",
    "As the {name} has it, whoever carries the {kw} is unable to lie about it, a fact the "
    "{faction} has "
    "exploited for years.",
)
HISTORY = (
    "In {year}, the {faction} first claimed the {kw} and built {place} around it.",
    "In {year} a great failure of the {kw} emptied {place}, and the {faction} rose from the ruins.",
    "Around {year}, a treaty gave the {faction} the {kw} and left {place} to pay for it.",
    "In {year} the last open challenge to the {faction} ended at {place}, and talk of the {kw} "
    "went underground.",
    "The winter of {year} is still remembered in {place}: the {faction} lost its grip on the {kw} "
    "for a single season.",
)
SETTING_OPENINGS = (
    "{title} unfolds in and around {place}, where every bargain turns on the {kw}.",
    "The world of {title} is small and crowded: {place} and the lands marked by the {kw}.",
)
SETTING_POWERS = (
    "Power sits with the {faction}, while the {faction2} waits for its chance.",
    "The {faction} and the {faction2} divide what is worth having and watch each other across "
    "{place}.",
)
SETTING_PLACES = (
    "Beyond {place} lie {others}, each with its own stake in the {kw}.",
    "Around {place} the map runs to {others}, and every road there is about the {kw}.",
)
SETTING_RULES = (
    "Above it all stands the {rule}, the one law nobody in {place} can ignore.",
    "Everyone in {place} lives by the {rule}, whether they admit it or not.",
)


def write_worldview(draft: Draft) -> Worldview:
    previous = draft.previous_as(Worldview)
    world = _repaired(previous) if previous else _fresh(draft)
    return _revised(world, draft.revising())


def _fresh(draft: Draft) -> Worldview:
    factions = _factions(draft)
    locations = _locations(draft, factions)
    rules = _rules(draft, factions, locations)
    title = _title(draft)
    others = ", ".join(place.name for place in locations[1:-1]) + f" and {locations[-1].name}"
    slots = {
        "title": title,
        "place": locations[0].name,
        "faction": factions[0].name,
        "faction2": factions[1].name,
        "others": others,
        "rule": rules[0].name,
    }
    setting = " ".join(
        draft.write(variants, kw=draft.subject(), **slots)
        for variants in (SETTING_OPENINGS, SETTING_POWERS, SETTING_PLACES, SETTING_RULES)
    )
    setting = f"{setting} {premise_sentence(draft.facts)}"
    return Worldview(
        setting=setting,
        rules=rules,
        locations=locations,
        factions=factions,
        history=_history(draft, factions, locations),
    )


def _title(draft: Draft) -> str:
    story = draft.upstream_as(Stage.STORY, Story)
    concept = draft.upstream_as(Stage.CONCEPT, Concept)
    if story is not None:
        return story.title
    return concept.chosen.title if concept is not None else draft.canon.places[0]


def _factions(draft: Draft) -> list[Faction]:
    forge = draft.forge()
    factions: list[Faction] = []
    for _ in range(draft.rng.randint(2, 4)):
        group = draft.pick(draft.lex.groups)
        form = draft.rng.randrange(3)
        if form == 0:
            name = f"{draft.pick(draft.lex.adjectives)} {group}"
        elif form == 1:
            name = f"{forge.place_stem()} {group}"
        else:
            name = f"{group} of the {draft.subject().title()}"
        if not forge.is_free(name):
            name = f"{forge.place_stem()} {group}"
        forge.reserve(name)
        slots = {
            "name": name,
            "place": draft.pick(draft.canon.places),
            "threat": draft.pick(draft.lex.threats),
        }
        factions.append(
            Faction(
                id=entity_id("fac", name, [f.id for f in factions]),
                name=name,
                goal=draft.write(FACTION_GOALS, kw=draft.subject(), **slots),
                description=draft.write(FACTION_DESCRIPTIONS, kw=draft.subject(), **slots),
            )
        )
    return factions


def _locations(draft: Draft, factions: list[Faction]) -> list[Location]:
    locations: list[Location] = []
    for index, name in enumerate(draft.canon.places[: draft.rng.randint(3, 6)]):
        # The first place always has an owner: the story needs someone in charge of its heart.
        owner = factions[index % len(factions)] if index == 0 or draft.rng.random() < 0.7 else None
        holder = f"the {owner.name}" if owner else "no single power"
        locations.append(
            Location(
                id=entity_id("loc", name, [place.id for place in locations]),
                name=name,
                description=draft.write(
                    LOCATION_DESCRIPTIONS, name=name, holder=holder, kw=draft.subject()
                ),
                faction_id=owner.id if owner else None,
            )
        )
    return locations


def _rules(draft: Draft, factions: list[Faction], locations: list[Location]) -> list[WorldRule]:
    rules: list[WorldRule] = []
    kinds = draft.rng.sample(draft.lex.rule_kinds, draft.rng.randint(2, 4))
    for index, kind in enumerate(kinds):
        subject = draft.subject()
        name = f"{subject.title()} {kind}" if index % 2 == 0 else f"{kind} of the {subject.title()}"
        rules.append(
            WorldRule(
                id=entity_id("rule", f"{subject} {kind}", [rule.id for rule in rules]),
                name=name,
                description=draft.write(
                    RULE_DESCRIPTIONS,
                    name=name,
                    kw=draft.subject(),
                    faction=draft.pick(factions).name,
                    place=draft.pick(locations).name,
                ),
            )
        )
    return rules


def _history(draft: Draft, factions: list[Faction], locations: list[Location]) -> list[str]:
    modern = draft.lex.name_style == "plain"
    year = draft.rng.randint(1850, 1960) if modern else draft.rng.randint(120, 800)
    entries: list[str] = []
    for _ in range(draft.rng.randint(2, 4)):
        entries.append(
            draft.write(
                HISTORY,
                year=str(year),
                faction=draft.pick(factions).name,
                place=draft.pick(locations).name,
                kw=draft.subject(),
            )
        )
        year += draft.rng.randint(8, 40 if modern else 120)
    return entries


def _repaired(world: Worldview) -> Worldview:
    """The previous draft with locations pointing only at factions that exist."""
    faction_ids = [faction.id for faction in world.factions]
    locations = [
        place
        if place.faction_id is None or place.faction_id in faction_ids
        else place.model_copy(update={"faction_id": faction_ids[index % len(faction_ids)]})
        for index, place in enumerate(world.locations)
    ]
    return world.model_copy(update={"locations": locations})


def _revised(world: Worldview, draft: Draft) -> Worldview:
    world = add_world_elements(world, draft.plan.world, draft)
    notes = draft.plan.notes_for(stage_takes_characters=False, stage_takes_world=True)
    if not notes:
        return world
    setting = with_sentence(
        world.setting, f"The world is reshaped by the note: {note_clause(notes)}.", LONG_LIMIT
    )
    return world.model_copy(update={"setting": setting})
