"""The plot outline stage: three acts of chapters and beats, every cast member on stage."""

from dataclasses import dataclass
from itertools import count

from genesis_pipeline.domain.artifacts import Act, Beat, Cast, Chapter, PlotOutline, Story
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.offline.cast_additions import PlaceRef, world_refs
from genesis_pipeline.generation.offline.drafting import Draft, join_names
from genesis_pipeline.generation.offline.names import entity_id
from genesis_pipeline.generation.offline.plot_text import (
    ACT_SUMMARIES,
    ACT_TITLES,
    BEATS,
    CAMEO,
    CHAPTER_SUMMARIES,
    CHAPTER_TITLES,
)
from genesis_pipeline.generation.offline.weaving import (
    DESCRIPTIVE_LIMIT,
    note_clause,
    with_sentence,
)


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    role: str


def write_plot(draft: Draft) -> PlotOutline:
    cast = _cast(draft)
    place_ids = [place.id for place in world_refs(draft).places]
    previous = draft.previous_as(PlotOutline)
    plot = _repaired(previous, cast, place_ids) if previous else _fresh(draft, cast)
    plot = _with_everyone(plot, cast, draft.revising())
    return _revised(plot, draft.revising())


def _cast(draft: Draft) -> list[Person]:
    cast = draft.upstream_as(Stage.CHARACTERS, Cast)
    if cast is not None:
        return [Person(p.id, p.name, p.role) for p in cast.characters]
    roles = ("protagonist", "antagonist", "ally", "mentor")
    names = draft.canon.people[: len(roles)]
    return [Person(entity_id("char", n), n, r) for n, r in zip(names, roles, strict=True)]


@dataclass(frozen=True)
class Players:
    hero: Person
    villain: Person
    others: list[Person]
    places: list[PlaceRef]


def _players(draft: Draft, cast: list[Person]) -> Players:
    hero = next((p for p in cast if p.role == "protagonist"), cast[0])
    villain = next((p for p in cast if p.role == "antagonist" and p != hero), cast[-1])
    others = [p for p in cast if p not in (hero, villain)]
    return Players(hero, villain, others, world_refs(draft).places)


def _fresh(draft: Draft, cast: list[Person]) -> PlotOutline:
    players = _players(draft, cast)
    story = draft.upstream_as(Stage.STORY, Story)
    parts = story.structure if story else []
    acts: list[Act] = []
    numbers = count(1)
    for act_index in range(3):
        chapters = [
            _chapter(draft, players, act_index, next(numbers))
            for _ in range(draft.rng.randint(2, 3))
        ]
        # The acts take the names of the story's opening, middle and closing parts.
        title = (
            parts[round(act_index * (len(parts) - 1) / 2)].name
            if parts
            else draft.pick(ACT_TITLES[act_index])
        )
        summary = draft.write(
            ACT_SUMMARIES[act_index],
            hero=players.hero.name,
            villain=players.villain.name,
            place=players.places[0].name,
            kw=draft.subject(),
        )
        acts.append(Act(number=act_index + 1, title=title, summary=summary, chapters=chapters))
    return PlotOutline(acts=acts)


def _chapter(draft: Draft, players: Players, act_index: int, number: int) -> Chapter:
    beats = [
        _beat(draft, players, act_index, f"beat_{act_index + 1}_{number}_{beat}")
        for beat in range(1, draft.rng.randint(2, 3) + 1)
    ]
    start, end = (place.name for place in draft.rng.sample(players.places, 2))
    title = draft.write(
        CHAPTER_TITLES,
        place=start,
        Kw=draft.subject().title(),
        noun=draft.pick(draft.lex.title_nouns),
    )
    summary = draft.write(
        CHAPTER_SUMMARIES,
        number=str(number),
        hero=players.hero.name,
        start=start,
        end=end,
        kw=draft.subject(),
    )
    return Chapter(number=number, title=title, summary=summary, beats=beats)


def _beat(draft: Draft, players: Players, act_index: int, beat_id: str) -> Beat:
    people = [players.hero] if draft.rng.random() < 0.7 else [players.villain]
    if players.others and draft.rng.random() < 0.6:
        people.append(draft.pick(players.others))
    if act_index == 2 and players.villain not in people:
        # The last act is the confrontation: the antagonist is in every beat of it.
        people.append(players.villain)
    place = draft.pick(players.places)
    summary = draft.write(
        BEATS[act_index],
        who=join_names([p.name for p in people]),
        place=place.name,
        kw=draft.subject(),
        threat=draft.pick(draft.lex.threats),
        object=draft.pick(draft.lex.objects),
    )
    return Beat(
        id=beat_id,
        summary=summary,
        character_ids=list(dict.fromkeys(p.id for p in people)),
        location_id=place.id,
    )


def _repaired(plot: PlotOutline, cast: list[Person], place_ids: list[str]) -> PlotOutline:
    """The previous outline, with beats naming only cast members and world locations."""
    cast_ids = [person.id for person in cast]
    plot = plot.model_copy(deep=True)
    for index, beat in enumerate(plot.beats()):
        beat.character_ids = [c for c in beat.character_ids if c in cast_ids] or [cast_ids[0]]
        if beat.location_id not in place_ids:
            beat.location_id = place_ids[index % len(place_ids)]
    return PlotOutline.model_validate(plot.model_dump())


def _with_everyone(plot: PlotOutline, cast: list[Person], draft: Draft) -> PlotOutline:
    """Give every cast member at least one beat, naming them in its summary."""
    plot = plot.model_copy(deep=True)
    beats = plot.beats()
    appearing = {c for beat in beats for c in beat.character_ids}
    missing = [person for person in cast if person.id not in appearing]
    for turn, person in enumerate(missing):
        # Spread newcomers over the middle of the book rather than piling them into one beat.
        beat = beats[(len(beats) // 3 + turn * 2) % len(beats)]
        beat.character_ids.append(person.id)
        cameo = draft.write(CAMEO, name=person.name, kw=draft.subject())
        beat.summary = with_sentence(beat.summary, cameo, DESCRIPTIVE_LIMIT)
    return PlotOutline.model_validate(plot.model_dump())


def _revised(plot: PlotOutline, draft: Draft) -> PlotOutline:
    notes = draft.plan.notes_for(stage_takes_characters=False, stage_takes_world=False)
    if not notes:
        return plot
    plot = plot.model_copy(deep=True)
    first = plot.acts[0]
    first.summary = with_sentence(
        first.summary,
        f"The act is rebuilt around the note: {note_clause(notes)}.",
        DESCRIPTIVE_LIMIT,
    )
    return PlotOutline.model_validate(plot.model_dump())
