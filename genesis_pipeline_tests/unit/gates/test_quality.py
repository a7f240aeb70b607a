from collections.abc import Callable

import pytest

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName
from genesis_pipeline.gates.quality import (
    DEFAULT_QUALITY_THRESHOLD,
    weighted_score,
)
from genesis_pipeline.gates.quality_criteria import CriterionResult
from genesis_pipeline_tests.unit.gates import samples
from genesis_pipeline_tests.unit.gates.quality_helpers import criterion, judge, story_off_concept


@pytest.mark.parametrize("stage", list(Stage))
def test_every_sample_passes_with_full_score(stage: Stage) -> None:
    verdict = judge(stage, samples.artifact(stage))
    assert verdict.gate is GateName.QUALITY
    assert verdict.stage is stage
    assert (verdict.passed, verdict.score, verdict.findings) == (True, 1.0, ())
    assert verdict.threshold == DEFAULT_QUALITY_THRESHOLD


# --- 1. completeness ---------------------------------------------------------------------


def _concept_two_candidates() -> Artifact:
    concept = samples.concept()
    return concept.model_copy(update={"candidates": concept.candidates[:2]})


def _story_two_parts() -> Artifact:
    story = samples.story()
    return story.model_copy(update={"structure": story.structure[:2]})


def _world(field: str, keep: int) -> Callable[[], Artifact]:
    def build() -> Artifact:
        world = samples.worldview()
        return world.model_copy(update={field: getattr(world, field)[:keep]})

    return build


def _cast_of_three() -> Artifact:
    cast = samples.characters()
    return cast.model_copy(update={"characters": cast.characters[:3]})


def _cast_without(role: str) -> Artifact:
    cast = samples.characters()
    for character in cast.characters:
        if character.role == role:
            character.role = "ally"
    return cast


def _plot_two_acts() -> Artifact:
    plot = samples.plot_outline()
    return plot.model_copy(update={"acts": plot.acts[:2]})


def _plot_thin_act() -> Artifact:
    plot = samples.plot_outline()
    plot.acts[1].chapters = plot.acts[1].chapters[:1]
    return plot


def _plot_thin_chapter() -> Artifact:
    plot = samples.plot_outline()
    plot.acts[0].chapters[1].beats = plot.acts[0].chapters[1].beats[:1]
    return plot


def _short_glossary() -> Artifact:
    bible = samples.story_bible()
    return bible.model_copy(update={"glossary": bible.glossary[:2]})


@pytest.mark.parametrize(
    ("stage", "build", "field", "completeness"),
    [
        (Stage.CONCEPT, _concept_two_candidates, "candidates", 0.0),
        (Stage.STORY, _story_two_parts, "structure", 0.0),
        (Stage.WORLDVIEW, _world("locations", 2), "locations", 0.75),
        (Stage.WORLDVIEW, _world("factions", 1), "factions", 0.75),
        (Stage.WORLDVIEW, _world("rules", 1), "rules", 0.75),
        (Stage.WORLDVIEW, _world("history", 1), "history", 0.75),
        (Stage.CHARACTERS, _cast_of_three, "characters", 0.667),
        (Stage.CHARACTERS, lambda: _cast_without("protagonist"), "characters", 0.667),
        (Stage.CHARACTERS, lambda: _cast_without("antagonist"), "characters", 0.667),
        (Stage.PLOT_OUTLINE, _plot_two_acts, "acts", 0.667),
        (Stage.PLOT_OUTLINE, _plot_thin_act, "acts[1].chapters", 0.667),
        (Stage.PLOT_OUTLINE, _plot_thin_chapter, "acts[0].chapters[1].beats", 0.667),
        (Stage.STORY_BIBLE, _short_glossary, "glossary", 0.0),
    ],
)
def test_completeness(
    stage: Stage, build: Callable[[], Artifact], field: str, completeness: float
) -> None:
    artifact = build()
    result = criterion(stage, artifact, "completeness")
    assert result.score == completeness
    assert [finding.field for finding in result.findings] == [field]
    assert "expected at least" in result.findings[0].problem
    assert judge(stage, artifact).score < 1.0


def test_a_missing_requirement_alone_can_fail_the_gate() -> None:
    verdict = judge(Stage.CONCEPT, _concept_two_candidates())
    assert verdict.score == round(5 / 7, 3)
    assert not verdict.passed


# --- 2. length ---------------------------------------------------------------------------


def test_long_field_too_short_is_named_with_its_length() -> None:
    story = samples.story().model_copy(update={"synopsis": "x" * 90})
    verdict = judge(Stage.STORY, story)
    finding = next(f for f in verdict.findings if f.field == "synopsis")
    assert finding.problem == "too short: 90 characters, expected at least 150"


@pytest.mark.parametrize(
    ("value", "problem"),
    [("X", "too short: 1 characters, expected at least 2"), ("T" * 121, "too long: 121")],
)
def test_short_field_bounds(value: str, problem: str) -> None:
    concept = samples.concept()
    concept.candidates[1].title = value
    result = criterion(Stage.CONCEPT, concept, "length")
    assert [f.field for f in result.findings] == ["candidates[1].title"]
    assert result.findings[0].problem.startswith(problem)
    assert 0.9 < result.score < 1.0


@pytest.mark.parametrize(
    ("value", "problem"),
    [("Ada at 1791.", "too short: 12 characters"), ("Ada 1791. " * 151, "too long: 1510")],
)
def test_descriptive_field_bounds(value: str, problem: str) -> None:
    cast = samples.characters()
    cast.characters[2].goal = value
    result = criterion(Stage.CHARACTERS, cast, "length")
    assert [f.field for f in result.findings] == ["characters[2].goal"]
    assert result.findings[0].problem.startswith(problem)


def test_length_score_is_the_fraction_of_fields_in_bounds() -> None:
    world = samples.worldview()
    total = 1 + 2 * 2 + 3 * 2 + 2 * 3 + 2  # setting, rules, locations, factions, history
    world.history[0] = "In 1791."
    world.rules[0].name = "R"
    assert criterion(Stage.WORLDVIEW, world, "length").score == round(1 - 2 / total, 3)


# --- 3. specificity ----------------------------------------------------------------------


def test_generic_descriptive_field_is_named() -> None:
    world = samples.worldview()
    world.rules[0].description = "The sea keeps what it takes. It gives it all back slowly."
    result = criterion(Stage.WORLDVIEW, world, "specificity")
    assert [f.field for f in result.findings] == ["rules[0].description"]
    assert result.score == round(1 - 1 / 12, 3)  # of 12 descriptive and long fields


def test_generic_long_field_is_named() -> None:
    bible = samples.story_bible()
    bible.blurb = "a quiet story of loss and a long night on the coast, told slowly. " * 3
    result = criterion(Stage.STORY_BIBLE, bible, "specificity")
    assert [f.field for f in result.findings] == ["blurb"]


def test_short_fields_need_not_be_specific() -> None:
    concept = samples.concept()
    concept.candidates[1].genre = "gothic mystery"
    assert criterion(Stage.CONCEPT, concept, "specificity").findings == ()


# --- the verdict -------------------------------------------------------------------------


def test_weighted_score() -> None:
    results = [
        CriterionResult("a", 2, 0.5),
        CriterionResult("b", 1, 1.0),
        CriterionResult("hard", 0, 0.0, hard_failure=True),
    ]
    assert weighted_score(results) == 0.667


def test_threshold_decides() -> None:
    story = story_off_concept()
    assert judge(Stage.STORY, story, threshold=0.85).passed
    failed = judge(Stage.STORY, story, threshold=0.9)
    assert (failed.passed, failed.threshold) == (False, 0.9)


def test_wrong_artifact_model_is_refused() -> None:
    with pytest.raises(TypeError, match="Concept"):
        judge(Stage.CONCEPT, samples.story())


def test_wrong_upstream_model_is_refused() -> None:
    upstream: dict[Stage, Artifact] = {Stage.CONCEPT: samples.worldview()}
    with pytest.raises(TypeError, match="upstream concept"):
        judge(Stage.STORY, samples.story(), upstream=upstream)


def test_gate_is_pure() -> None:
    cast, before = samples.characters(), samples.characters()
    judge(Stage.CHARACTERS, cast)
    assert cast == before
    assert judge(Stage.CHARACTERS, cast) == judge(Stage.CHARACTERS, cast)
