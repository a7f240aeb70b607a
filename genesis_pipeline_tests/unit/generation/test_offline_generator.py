"""The offline generator: a deterministic test double whose drafts pass the gates and honour
revisions."""

import re
from functools import cache

import pytest

from genesis_pipeline.domain.artifacts import (
    GENERATED_MODELS,
    MAIN_ROLES,
    Artifact,
    BibleNarrative,
    Cast,
    Concept,
    PlotOutline,
    Story,
    StoryBible,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.gates.evaluate import evaluate_gates
from genesis_pipeline.generation.offline.flaws import FLAW_NAMES, FLAWS
from genesis_pipeline.generation.offline.generator import OfflineGenerator
from genesis_pipeline.generation.port import Prompt, StageRequest

PREMISES = (
    "A lighthouse keeper learns that the tides are controlled by a secret guild of cartographers",
    "A retired detective investigates a murder in a snowbound village where everyone lies",
    "Two rival bakers fall in love while competing for the last shop on the boardwalk",
    "A salvage crew finds a derelict starship broadcasting their own voices",
    "A widow inherits a haunted farmhouse and hears her dead husband in the walls",
    "A burned spy must smuggle a witness across three borders before the summit",
    "Three sisters return to the family orchard after their mother's funeral",
    "A dragon bargains with a blind queen for the last rain of the kingdom",
    "An android nanny hides the children of a colony governor during a coup",
    "A hacker on parole is blackmailed into robbing the bank that framed her",
    "A choir director in a mining town fights to keep the chapel open",
    "A ghost hunter falls for the spirit haunting a seaside hotel",
    "Dragons",
    "A cartographer maps a city that rearranges its streets every night",
    "An exiled prince returns as a cook in his brother's palace kitchen",
    "The last beekeeper on Mars smuggles queens past the colony inspectors",
    "A poisoner's apprentice must solve her master's murder before the coronation",
    "A small-town vet and a celebrity chef are stuck together for a flooded week",
    "A submarine crew hears knocking from outside the hull at the bottom of the trench",
    "An old ferryman keeps a ledger of every soul he has carried across the river",
)
GENERATOR = OfflineGenerator()
NOTE = "make the tone darker and set it in winter"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def make_request(
    stage: Stage,
    spec: SessionSpec,
    upstream: dict[Stage, Artifact],
    *,
    session: str = "sess-offline",
    attempt: int = 1,
    instructions: tuple[str, ...] = (),
    previous: Artifact | None = None,
) -> StageRequest:
    return StageRequest(
        session_id=session,
        stage=stage,
        attempt=attempt,
        spec=spec,
        upstream=upstream,
        prompt=Prompt("s", "u", "v1"),
        output_model=GENERATED_MODELS[stage],
        instructions=instructions,
        previous=previous,
    )


def upstream_of(stage: Stage, done: dict[Stage, Artifact]) -> dict[Stage, Artifact]:
    return {earlier: done[earlier] for earlier in STAGE_INPUTS[stage]}


@cache
def chain(premise: str, session: str = "sess-offline") -> dict[Stage, Artifact]:
    """All six stages of one session, each built on the artifacts before it."""
    spec = SessionSpec(premise=premise)
    done: dict[Stage, Artifact] = {}
    for stage in STAGE_ORDER:
        request = make_request(stage, spec, upstream_of(stage, done), session=session)
        done[stage] = GENERATOR.generate(request).artifact
    return done


def typed(done: dict[Stage, Artifact]) -> tuple[Concept, Story, Worldview, Cast, PlotOutline]:
    concept, story, world = done[Stage.CONCEPT], done[Stage.STORY], done[Stage.WORLDVIEW]
    cast, plot = done[Stage.CHARACTERS], done[Stage.PLOT_OUTLINE]
    assert isinstance(concept, Concept) and isinstance(story, Story)
    assert isinstance(world, Worldview) and isinstance(cast, Cast)
    assert isinstance(plot, PlotOutline)
    return concept, story, world, cast, plot


def text_of(artifact: Artifact) -> str:
    return artifact.model_dump_json().lower()


def gate_findings(
    stage: Stage, artifact: Artifact, premise: str, done: dict[Stage, Artifact]
) -> list[str]:
    """What the quality and consistency gates object to in a draft built on `done`."""
    if isinstance(artifact, BibleNarrative) and not isinstance(artifact, StoryBible):
        versions = {earlier: 1 for earlier in STAGE_INPUTS[Stage.STORY_BIBLE]}
        artifact = StoryBible(**artifact.model_dump(), versions=versions)
    verdicts = evaluate_gates(
        stage,
        artifact,
        spec=SessionSpec(premise=premise),
        upstream=upstream_of(stage, done),
        passed_versions=dict.fromkeys(STAGE_ORDER, 1),
    )
    return [f"{v.gate}: {f.field}: {f.problem}" for v in verdicts for f in v.findings] + [
        f"{v.gate} failed" for v in verdicts if not v.passed
    ]


# --- determinism and variety ---------------------------------------------------------------
def test_the_same_request_gives_the_same_artifact() -> None:
    done = chain(PREMISES[0])
    spec = SessionSpec(premise=PREMISES[0])
    for stage in STAGE_ORDER:
        request = make_request(stage, spec, upstream_of(stage, done))
        first = OfflineGenerator().generate(request).artifact
        assert first.model_dump() == OfflineGenerator().generate(request).artifact.model_dump()
        assert first.model_dump() == done[stage].model_dump()


def test_a_later_attempt_keeps_the_base_draft() -> None:
    done = chain(PREMISES[1])
    spec = SessionSpec(premise=PREMISES[1])
    for stage in STAGE_ORDER:
        request = make_request(stage, spec, upstream_of(stage, done), attempt=4)
        assert GENERATOR.generate(request).artifact.model_dump() == done[stage].model_dump()


def test_different_premises_give_different_titles_names_and_places() -> None:
    first, second = typed(chain(PREMISES[0])), typed(chain(PREMISES[3]))
    assert {c.title for c in first[0].candidates}.isdisjoint(c.title for c in second[0].candidates)
    assert {c.name for c in first[3].characters}.isdisjoint(c.name for c in second[3].characters)
    assert {p.name for p in first[2].locations}.isdisjoint(p.name for p in second[2].locations)


def test_the_same_premise_in_another_session_gets_another_cast() -> None:
    first, second = typed(chain(PREMISES[2])), typed(chain(PREMISES[2], "sess-other"))
    assert {c.name for c in first[3].characters}.isdisjoint(c.name for c in second[3].characters)


def test_each_stage_returns_its_model_with_costs() -> None:
    done = chain(PREMISES[4])
    spec = SessionSpec(premise=PREMISES[4])
    for stage in STAGE_ORDER:
        generation = GENERATOR.generate(make_request(stage, spec, upstream_of(stage, done)))
        model = GENERATED_MODELS[stage]
        assert type(generation.artifact) is model
        model.model_validate(generation.artifact.model_dump())
        assert generation.model == "offline-v1"
        assert generation.tokens_in == len("s" + "u") // 4
        assert generation.tokens_out == len(generation.artifact.model_dump_json()) // 4
        assert generation.latency_ms >= 0
        assert generation.extra == {}


def test_flaw_rate_outside_zero_to_one_is_refused() -> None:
    for rate in (-0.1, 1.5):
        with pytest.raises(ValueError, match="flaw_rate"):
            OfflineGenerator(flaw_rate=rate)


def test_a_simulated_model_latency_is_spent_and_reported() -> None:
    # GENESIS_OFFLINE_LATENCY_S: load tests and fault drills see runs waiting on the "model".
    request = make_request(Stage.CONCEPT, SessionSpec(premise=PREMISES[0]), {})
    assert OfflineGenerator(latency_s=0.2).generate(request).latency_ms >= 200
    with pytest.raises(ValueError, match="latency_s"):
        OfflineGenerator(latency_s=-1)


# --- content rules ------------------------------------------------------------------------
@pytest.mark.parametrize("premise", PREMISES)
def test_every_stage_passes_the_gates_without_a_finding(premise: str) -> None:
    done = chain(premise)
    for stage, artifact in done.items():
        assert gate_findings(stage, artifact, premise, done) == [], stage


def test_the_story_turns_on_the_premise_s_own_nouns() -> None:
    premise = (
        "A disgraced detective in 1920s Shanghai investigates murders that mirror a forgotten opera"
    )
    concept, story, world, _, _ = typed(chain(premise))
    assert premise in concept.chosen.hook and premise in story.synopsis and premise in world.setting
    assert "the opera" in story.central_conflict
    assert "the shanghai" not in text_of(story) and "the 1920s" not in text_of(story)


@pytest.mark.parametrize("premise", PREMISES[::4])
def test_the_stages_agree_with_each_other(premise: str) -> None:
    done = chain(premise)
    concept, story, world, cast, plot = typed(done)
    bible = done[Stage.STORY_BIBLE]
    assert isinstance(bible, BibleNarrative)
    assert 3 <= len(concept.candidates) <= 4 and 3 <= len(story.structure) <= 5
    assert story.title == concept.chosen.title == bible.title
    assert set(story.themes) & set(concept.chosen.themes)

    assert 3 <= len(world.locations) <= 6 and 2 <= len(world.factions) <= 4
    assert 2 <= len(world.rules) <= 4 and 2 <= len(world.history) <= 4
    place_ids = {place.id for place in world.locations}
    faction_ids = {faction.id for faction in world.factions}
    assert all(place.faction_id in faction_ids | {None} for place in world.locations)
    for group in (world.locations, world.factions, world.rules, cast.characters):
        assert all(ID_PATTERN.match(item.id) for item in group)
        assert len({item.id for item in group}) == len(group)
        assert len({item.name.lower() for item in group}) == len(group)

    roles = [person.role for person in cast.characters]
    assert 4 <= len(roles) <= 7 and roles.count("protagonist") == 1 and "antagonist" in roles
    assert sum(role in MAIN_ROLES for role in roles) <= 3
    cast_ids = {person.id for person in cast.characters}
    for person in cast.characters:
        assert person.home_location_id in place_ids
        assert person.faction_id in faction_ids | {None}
        assert all(link.character_id in cast_ids - {person.id} for link in person.relationships)

    assert len(plot.acts) == 3
    for act in plot.acts:
        assert 2 <= len(act.chapters) <= 3
        assert all(2 <= len(chapter.beats) <= 3 for chapter in act.chapters)
    beats = plot.beats()
    assert all(ID_PATTERN.match(beat.id) for beat in beats)
    assert all(set(beat.character_ids) <= cast_ids for beat in beats)
    assert all(beat.location_id in place_ids for beat in beats)
    assert {c for beat in beats for c in beat.character_ids} == cast_ids

    world_names = {
        item.name for group in (world.rules, world.factions, world.locations) for item in group
    }
    assert len(bible.glossary) >= 3 and {entry.term for entry in bible.glossary} <= world_names


# --- revisions ----------------------------------------------------------------------------
def stage_of(artifact: Artifact) -> Stage:
    return next(stage for stage, model in GENERATED_MODELS.items() if type(artifact) is model)


def revise(premise: str, stage: Stage, *instructions: str, attempt: int = 2) -> Artifact:
    """The stage's draft revised with the instructions, on top of the chained draft."""
    done = chain(premise)
    request = make_request(
        stage,
        SessionSpec(premise=premise),
        upstream_of(stage, done),
        attempt=attempt,
        instructions=instructions,
        previous=done[stage],
    )
    return GENERATOR.generate(request).artifact


def replan(premise: str, cast: Cast) -> PlotOutline:
    """A fresh plot outline on top of a revised cast."""
    done = {**chain(premise), Stage.CHARACTERS: cast}
    spec = SessionSpec(premise=premise)
    request = make_request(Stage.PLOT_OUTLINE, spec, upstream_of(Stage.PLOT_OUTLINE, done))
    plot = GENERATOR.generate(request).artifact
    assert isinstance(plot, PlotOutline)
    return plot


def test_an_added_character_joins_the_cast_and_the_plot() -> None:
    premise = PREMISES[0]
    _, _, world, before, _ = typed(chain(premise))
    after = revise(
        premise,
        Stage.CHARACTERS,
        "add a character who is a disgraced lighthouse keeper hiding a map",
    )
    assert isinstance(after, Cast)
    assert after.characters[: len(before.characters)] == before.characters
    (added,) = after.characters[len(before.characters) :]
    assert added.role == "supporting"
    assert "disgraced lighthouse keeper hiding a map" in added.goal + added.arc
    assert added.home_location_id in {place.id for place in world.locations}
    beats = replan(premise, after).beats()
    assert any(added.id in beat.character_ids for beat in beats)
    assert gate_findings(stage_of(after), after, premise, chain(premise)) == []


def test_a_structured_character_request_sets_name_and_role() -> None:
    premise = PREMISES[6]
    after = revise(
        premise,
        Stage.CHARACTERS,
        "Add a character (role: mentor; name: Ilse Varga): a disgraced lighthouse keeper",
    )
    assert isinstance(after, Cast)
    ilse = next(person for person in after.characters if person.name == "Ilse Varga")
    assert ilse.role == "mentor" and ilse.id == "char_ilse_varga"
    assert "lighthouse keeper" in ilse.goal


def test_a_requested_protagonist_keeps_the_cast_balanced() -> None:
    after = revise(PREMISES[7], Stage.CHARACTERS, "Add a character (role: protagonist): a runaway")
    assert isinstance(after, Cast)
    roles = [person.role for person in after.characters]
    assert roles.count("protagonist") == 1 and after.characters[-1].role == "protagonist"
    assert sum(role in MAIN_ROLES for role in roles) <= 3 and "antagonist" in roles


def test_added_world_elements_use_their_descriptions() -> None:
    premise = PREMISES[8]
    before = chain(premise)[Stage.WORLDVIEW]
    after = revise(
        premise,
        Stage.WORLDVIEW,
        "Add a location: a drowned chapel where the tide-priests keep their ledgers",
        "add a location called Salt Chapel where pilgrims wait out the storms",
        "Add a faction: smugglers who run medicine past the blockade",
        "Add a rule: every promise made at sea binds the grandchildren too",
    )
    assert isinstance(before, Worldview) and isinstance(after, Worldview)
    assert after.locations[: len(before.locations)] == before.locations
    drowned, salt = after.locations[-2:]
    assert "drowned chapel where the tide-priests keep their ledgers" in drowned.description
    assert salt.name == "Salt Chapel" and "pilgrims wait out the storms" in salt.description
    assert "medicine past the blockade" in after.factions[-1].description
    assert "binds the grandchildren" in after.rules[-1].description
    faction_ids = {faction.id for faction in after.factions}
    assert all(place.faction_id in faction_ids | {None} for place in after.locations)
    assert gate_findings(stage_of(after), after, premise, chain(premise)) == []


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_free_form_notes_show_up_in_the_new_draft(stage: Stage) -> None:
    premise = PREMISES[9]
    after = revise(premise, stage, NOTE)
    assert all(word in text_of(after) for word in ("tone", "darker", "winter"))
    assert gate_findings(stage_of(after), after, premise, chain(premise)) == []
    if isinstance(after, Story):
        assert "winter" in after.tone and "winter" in after.synopsis


def test_a_revision_keeps_the_previous_cast() -> None:
    before = chain(PREMISES[10])[Stage.CHARACTERS]
    after = revise(PREMISES[10], Stage.CHARACTERS, NOTE)
    assert isinstance(before, Cast) and isinstance(after, Cast)
    assert [(p.id, p.name, p.goal) for p in after.characters] == [
        (p.id, p.name, p.goal) for p in before.characters
    ]


# --- deliberate flaws ---------------------------------------------------------------------
def has_flaw(artifact: Artifact, done: dict[Stage, Artifact]) -> bool:
    """Whether the draft carries any of the flaws the generator can inject."""
    concept, story, world, cast, _ = typed(done)
    if isinstance(artifact, Concept):
        return any(candidate.hook == "TBD - placeholder hook" for candidate in artifact.candidates)
    if isinstance(artifact, Story):
        return artifact.title != concept.chosen.title
    if isinstance(artifact, Worldview):
        faction_ids = {faction.id for faction in artifact.factions} | {None}
        return any(place.faction_id not in faction_ids for place in artifact.locations)
    if isinstance(artifact, Cast):
        place_ids = {place.id for place in world.locations}
        return any(person.home_location_id not in place_ids for person in artifact.characters)
    if isinstance(artifact, PlotOutline):
        cast_ids = {person.id for person in cast.characters}
        return any(not set(beat.character_ids) <= cast_ids for beat in artifact.beats())
    assert isinstance(artifact, BibleNarrative)
    return "as an ai language model" in artifact.blurb.lower() or artifact.title != story.title


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_a_named_flaw_is_injected_and_a_fix_removes_it(stage: Stage) -> None:
    premise = PREMISES[11]
    done = chain(premise)
    spec, upstream = SessionSpec(premise=premise), upstream_of(stage, done)
    flawed_generator = OfflineGenerator(flaw_rate=1.0)
    flawed = flawed_generator.generate(make_request(stage, spec, upstream))
    assert flawed.extra["flaw"] == FLAW_NAMES[stage]
    assert FLAWS[stage][0] in ("quality", "consistency")
    assert has_flaw(flawed.artifact, done)
    if stage is Stage.STORY_BIBLE:
        assert isinstance(flawed.artifact, BibleNarrative) and len(flawed.artifact.blurb) >= 150

    fix = f"Fix {stage.value}: {FLAWS[stage][1]}"
    request = make_request(
        stage, spec, upstream, attempt=2, instructions=(fix,), previous=flawed.artifact
    )
    fixed = flawed_generator.generate(request)
    assert "flaw" not in fixed.extra
    assert not has_flaw(fixed.artifact, done)
    assert gate_findings(stage, fixed.artifact, premise, done) == []


def test_a_fixed_cast_keeps_everyone_else_as_they_were() -> None:
    done = chain(PREMISES[12])
    spec, upstream = SessionSpec(premise=PREMISES[12]), upstream_of(Stage.CHARACTERS, done)
    generator = OfflineGenerator(flaw_rate=1.0)
    flawed = generator.generate(make_request(Stage.CHARACTERS, spec, upstream)).artifact
    fix = "Fix characters[0].home_location_id: 'loc_nowhere' is not a location of the worldview"
    request = make_request(
        Stage.CHARACTERS, spec, upstream, attempt=2, instructions=(fix,), previous=flawed
    )
    fixed = generator.generate(request).artifact
    assert isinstance(flawed, Cast) and isinstance(fixed, Cast)
    assert [(p.id, p.goal, p.arc) for p in fixed.characters] == [
        (p.id, p.goal, p.arc) for p in flawed.characters
    ]


def test_flaw_rate_zero_never_injects_and_any_rate_is_deterministic() -> None:
    done = chain(PREMISES[13])
    spec = SessionSpec(premise=PREMISES[13])
    half = OfflineGenerator(flaw_rate=0.5)
    decisions = []
    for stage in STAGE_ORDER:
        for attempt in range(1, 7):
            request = make_request(stage, spec, upstream_of(stage, done), attempt=attempt)
            assert "flaw" not in GENERATOR.generate(request).extra
            flawed = "flaw" in half.generate(request).extra
            assert flawed == ("flaw" in half.generate(request).extra)
            decisions.append(flawed)
    assert any(decisions) and not all(decisions)
