from collections.abc import Mapping

import pytest

from genesis_pipeline.domain.artifacts import Artifact, BibleNarrative, Worldview
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict
from genesis_pipeline.gates.consistency import consistency_gate
from genesis_pipeline_tests.unit.gates import samples


def check(
    stage: Stage,
    artifact: Artifact,
    *,
    upstream: Mapping[Stage, Artifact] | None = None,
    passed_versions: Mapping[Stage, int] = samples.PASSED_VERSIONS,
) -> GateVerdict:
    return consistency_gate(
        stage,
        artifact,
        upstream=samples.upstream(stage) if upstream is None else upstream,
        passed_versions=passed_versions,
    )


def fields(verdict: GateVerdict) -> list[str]:
    return [finding.field for finding in verdict.findings]


@pytest.mark.parametrize("stage", list(Stage))
def test_every_sample_is_consistent(stage: Stage) -> None:
    verdict = check(stage, samples.artifact(stage))
    assert verdict.gate is GateName.CONSISTENCY
    assert (verdict.passed, verdict.score, verdict.findings) == (True, 1.0, ())
    assert verdict.threshold is None


# --- concept -----------------------------------------------------------------------------


def test_candidate_titles_are_distinct_ignoring_case() -> None:
    concept = samples.concept()
    concept.candidates[2].title = concept.candidates[0].title.upper()
    verdict = check(Stage.CONCEPT, concept)
    assert fields(verdict) == ["candidates[2].title"]
    assert (verdict.passed, verdict.score) == (False, 0.5)  # one rule of two broken


# --- story -------------------------------------------------------------------------------


def test_story_title_follows_the_selected_concept() -> None:
    story = samples.story().model_copy(update={"title": "Tidebound"})
    verdict = check(Stage.STORY, story)
    assert fields(verdict) == ["title"]
    assert "selected concept" in verdict.findings[0].problem
    assert verdict.score == round(1 - 1 / 3, 3)


def test_story_title_comparison_ignores_case_and_padding() -> None:
    story = samples.story().model_copy(update={"title": "  the LAMP of saltmere "})
    assert check(Stage.STORY, story).passed


def test_story_follows_the_selected_candidate_not_the_first() -> None:
    concept = samples.concept().model_copy(update={"selected": 1})
    verdict = check(Stage.STORY, samples.story(), upstream={Stage.CONCEPT: concept})
    assert fields(verdict) == ["title", "themes"]


def test_story_shares_a_theme_with_the_concept() -> None:
    story = samples.story().model_copy(update={"themes": ["homecoming"]})
    assert fields(check(Stage.STORY, story)) == ["themes"]
    story = samples.story().model_copy(update={"themes": ["homecoming", "GRIEF"]})
    assert check(Stage.STORY, story).passed


def test_missing_concept_is_one_finding() -> None:
    verdict = check(Stage.STORY, samples.story(), upstream={})
    assert fields(verdict) == ["upstream.concept"]
    assert verdict.score == round(1 - 1 / 3, 3)


# --- worldview ---------------------------------------------------------------------------


def _duplicate_id(group: str) -> Worldview:
    world = samples.worldview()
    entities = getattr(world, group)
    entities[1].id = entities[0].id
    return world


@pytest.mark.parametrize("group", ["locations", "factions", "rules"])
def test_worldview_ids_are_unique(group: str) -> None:
    world = _duplicate_id(group)
    if group == "factions":  # the location pointing at the renamed faction dangles too
        assert fields(check(Stage.WORLDVIEW, world)) == [
            "factions[1].id",
            "locations[2].faction_id",
        ]
    else:
        assert fields(check(Stage.WORLDVIEW, world)) == [f"{group}[1].id"]


@pytest.mark.parametrize("group", ["locations", "factions"])
def test_worldview_names_are_unique(group: str) -> None:
    world = samples.worldview()
    entities = getattr(world, group)
    entities[1].name = entities[0].name
    verdict = check(Stage.WORLDVIEW, world)
    assert fields(verdict) == [f"{group}[1].name"]
    assert verdict.score == round(1 - 1 / 6, 3)


def test_location_faction_must_exist() -> None:
    world = samples.worldview()
    world.locations[1].faction_id = "smugglers"
    verdict = check(Stage.WORLDVIEW, world)
    assert fields(verdict) == ["locations[1].faction_id"]
    assert "'smugglers'" in verdict.findings[0].problem


# --- characters --------------------------------------------------------------------------


def test_character_ids_are_unique() -> None:
    cast = samples.characters()
    cast.characters[3].id = "ada_venn"
    assert fields(check(Stage.CHARACTERS, cast)) == ["characters[3].id"]


def test_character_names_are_unique_ignoring_case() -> None:
    cast = samples.characters()
    cast.characters[3].name = "ADA VENN"
    assert fields(check(Stage.CHARACTERS, cast)) == ["characters[3].name"]


def test_cast_needs_a_protagonist() -> None:
    cast = samples.characters()
    cast.characters[0].role = "deuteragonist"
    verdict = check(Stage.CHARACTERS, cast)
    assert fields(verdict) == ["characters"]
    assert "protagonist" in verdict.findings[0].problem


def test_home_location_must_be_a_worldview_location() -> None:
    cast = samples.characters()
    cast.characters[2].home_location_id = "old_mill"
    assert fields(check(Stage.CHARACTERS, cast)) == ["characters[2].home_location_id"]


def test_faction_must_be_a_worldview_faction() -> None:
    cast = samples.characters()
    cast.characters[3].faction_id = "lower_harbor"  # a location id, not a faction id
    assert fields(check(Stage.CHARACTERS, cast)) == ["characters[3].faction_id"]


@pytest.mark.parametrize(("target", "problem"), [("ada_venn", "itself"), ("ghost", "'ghost'")])
def test_relationship_points_to_another_cast_member(target: str, problem: str) -> None:
    cast = samples.characters()
    cast.characters[0].relationships[1].character_id = target
    verdict = check(Stage.CHARACTERS, cast)
    assert fields(verdict) == ["characters[0].relationships[1].character_id"]
    assert problem in verdict.findings[0].problem


def test_missing_upstream_is_one_finding_per_stage() -> None:
    verdict = check(Stage.CHARACTERS, samples.characters(), upstream={})
    assert fields(verdict) == ["upstream.worldview", "upstream.story"]
    assert verdict.score == round(1 - 2 / 7, 3)


# --- plot outline ------------------------------------------------------------------------


def test_beat_ids_are_unique() -> None:
    plot = samples.plot_outline()
    plot.acts[2].chapters[1].beats[0].id = "b01"
    assert fields(check(Stage.PLOT_OUTLINE, plot)) == ["acts[2].chapters[1].beats[0].id"]


def test_beat_characters_must_be_cast_members() -> None:
    plot = samples.plot_outline()
    plot.acts[0].chapters[1].beats[0].character_ids = ["tomas_reed", "harbor_guild"]
    verdict = check(Stage.PLOT_OUTLINE, plot)
    assert fields(verdict) == ["acts[0].chapters[1].beats[0].character_ids[1]"]


def test_beat_location_must_be_a_worldview_location() -> None:
    plot = samples.plot_outline()
    plot.acts[1].chapters[0].beats[1].location_id = "harbor_guild"
    verdict = check(Stage.PLOT_OUTLINE, plot)
    assert fields(verdict) == ["acts[1].chapters[0].beats[1].location_id"]


def _plot_without(character_id: str) -> Artifact:
    plot = samples.plot_outline()
    for beat in plot.beats():
        beat.character_ids = [c for c in beat.character_ids if c != character_id] or ["ada_venn"]
    return plot


def test_every_main_character_appears_in_a_beat() -> None:
    verdict = check(Stage.PLOT_OUTLINE, _plot_without("corin_hale"))
    assert fields(verdict) == ["acts[*].chapters[*].beats[*].character_ids"]
    assert "'corin_hale'" in verdict.findings[0].problem


def test_supporting_characters_may_stay_off_stage() -> None:
    assert check(Stage.PLOT_OUTLINE, _plot_without("maren_holt")).passed


def test_plot_without_upstream() -> None:
    verdict = check(Stage.PLOT_OUTLINE, samples.plot_outline(), upstream={})
    assert fields(verdict) == ["upstream.characters", "upstream.worldview"]
    assert verdict.score == 0.5


# --- story bible -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passed", "field"),
    [
        ({**samples.PASSED_VERSIONS, Stage.WORLDVIEW: 3}, "versions.worldview"),
        ({**samples.PASSED_VERSIONS, Stage.STORY_BIBLE: 4}, None),  # never lists itself
        ({s: v for s, v in samples.PASSED_VERSIONS.items() if s != Stage.STORY}, "versions.story"),
    ],
)
def test_bible_holds_exactly_the_passed_versions(
    passed: dict[Stage, int], field: str | None
) -> None:
    verdict = check(Stage.STORY_BIBLE, samples.story_bible(), passed_versions=passed)
    assert fields(verdict) == ([field] if field else [])


def test_bible_missing_a_passed_stage() -> None:
    bible = samples.story_bible()
    del bible.versions[Stage.PLOT_OUTLINE]
    verdict = check(Stage.STORY_BIBLE, bible)
    assert fields(verdict) == ["versions.plot_outline"]
    assert verdict.findings[0].problem == "missing; the passed version is 3"


def test_bible_narrative_without_versions_lists_every_stage() -> None:
    narrative = BibleNarrative.model_validate(
        samples.story_bible().model_dump(exclude={"versions"})
    )
    verdict = check(Stage.STORY_BIBLE, narrative)
    assert fields(verdict) == [f"versions.{stage.value}" for stage in samples.PASSED_VERSIONS]
    assert verdict.score == 0.0


def test_bible_title_is_the_story_title() -> None:
    bible = samples.story_bible().model_copy(update={"title": "Tidebound"})
    assert fields(check(Stage.STORY_BIBLE, bible)) == ["title"]


def test_bible_without_story_or_cast() -> None:
    verdict = check(Stage.STORY_BIBLE, samples.story_bible(), upstream={})
    assert fields(verdict) == ["upstream.story", "upstream.characters"]


# --- the verdict -------------------------------------------------------------------------


def test_score_is_floored_at_zero() -> None:
    concept = samples.concept()
    for candidate in concept.candidates:
        candidate.title = "Same"
    verdict = check(Stage.CONCEPT, concept)
    assert (len(verdict.findings), verdict.score) == (2, 0.0)


def test_wrong_artifact_model_is_refused() -> None:
    with pytest.raises(TypeError, match="Cast"):
        check(Stage.CHARACTERS, samples.worldview())


def test_wrong_upstream_model_is_refused() -> None:
    with pytest.raises(TypeError, match="upstream worldview"):
        check(Stage.CHARACTERS, samples.characters(), upstream={Stage.WORLDVIEW: samples.story()})
