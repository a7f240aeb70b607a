import pytest

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.quality import DEFAULT_QUALITY_THRESHOLD
from genesis_pipeline.gates.quality_criteria import WHOLE_ARTIFACT
from genesis_pipeline_tests.unit.gates import samples
from genesis_pipeline_tests.unit.gates.quality_helpers import (
    criterion,
    fields,
    judge,
    story_off_concept,
)

# --- 4. relevance ------------------------------------------------------------------------


def test_artifact_unrelated_to_the_premise() -> None:
    premise = "A dragon librarian hoards forbidden poems inside a volcano."
    verdict = judge(Stage.CONCEPT, samples.concept(), premise=premise)
    finding = next(f for f in verdict.findings if f.field == "candidates[0].hook")
    assert "0 of the premise's keywords" in finding.problem
    assert verdict.score == round(5 / 7, 3)
    assert not verdict.passed


@pytest.mark.parametrize(
    ("premise", "score", "off_premise"),
    [
        ("lighthouse harbor", 1.0, False),  # two keywords: both are needed, not three
        ("lighthouse harbor dragon wyvern", 0.667, False),
        ("lighthouse harbor dragon wyvern basilisk", 0.667, False),  # still three needed
        ("It is what it was.", 1.0, False),  # no keywords at all
        ("lighthouse dragon wyvern", 0.167, True),  # a third covered, and tied to nothing
    ],
)
def test_relevance_needs_up_to_three_keywords(
    premise: str, score: float, off_premise: bool
) -> None:
    result = criterion(Stage.CONCEPT, samples.concept(), "relevance", premise=premise)
    assert (result.score, result.hard_failure) == (score, off_premise)


def test_story_must_mention_the_chosen_concept() -> None:
    verdict = judge(Stage.STORY, story_off_concept())
    assert fields(verdict) == [WHOLE_ARTIFACT]
    assert "title or one of its themes" in verdict.findings[0].problem
    assert verdict.score == round(1 - 1 / 7, 3)


def test_a_chosen_theme_is_enough_for_the_story_link() -> None:
    story = story_off_concept()
    story.tone = "grief and salt"
    assert judge(Stage.STORY, story).findings == ()


def test_missing_upstream_is_left_to_the_consistency_gate() -> None:
    assert judge(Stage.STORY, story_off_concept(), upstream={}).findings == ()


def test_characters_must_mention_a_worldview_place_or_faction() -> None:
    world = samples.worldview()
    for index, location in enumerate(world.locations):
        location.name = f"Elsewhere {index}"
    for index, faction in enumerate(world.factions):
        faction.name = f"Nobody {index}"
    upstream: dict[Stage, Artifact] = {Stage.STORY: samples.story(), Stage.WORLDVIEW: world}
    verdict = judge(Stage.CHARACTERS, samples.characters(), upstream=upstream)
    assert fields(verdict) == ["characters"]
    assert verdict.score == round(1 - 1 / 7, 3)


def test_plot_must_name_a_cast_member_in_beat_summaries() -> None:
    cast = samples.characters()
    for index, character in enumerate(cast.characters):
        character.name = f"Stranger {index}"
    upstream = {**samples.upstream(Stage.PLOT_OUTLINE), Stage.CHARACTERS: cast}
    verdict = judge(Stage.PLOT_OUTLINE, samples.plot_outline(), upstream=upstream)
    assert fields(verdict) == ["acts[*].chapters[*].beats[*].summary"]


def test_relevance_failures_compound() -> None:
    premise = "A dragon librarian hoards forbidden poems inside a volcano lighthouse."
    result = criterion(Stage.STORY, story_off_concept(), "relevance", premise=premise)
    # a third of the keywords, no sentence tying two of them, and no link to the concept
    assert result.score == round(1 / 3 / 2 / 2, 3)
    assert [f.field for f in result.findings] == ["synopsis", "synopsis", WHOLE_ARTIFACT]
    assert result.hard_failure


# --- 5. placeholders (hard) --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["Lorem ipsum at Gull Point.", "[Antagonist's flaw]", "TODO: Ada's flaw", "N/A"],
)
def test_placeholder_fails_the_gate_whatever_the_score(text: str) -> None:
    cast = samples.characters()
    cast.characters[1].flaw = text
    verdict = judge(Stage.CHARACTERS, cast)
    assert verdict.score >= DEFAULT_QUALITY_THRESHOLD
    assert not verdict.passed
    assert "characters[1].flaw" in fields(verdict)
    result = criterion(Stage.CHARACTERS, cast, "placeholders")
    assert (result.score, result.hard_failure) == (0.0, True)


def test_every_field_with_a_placeholder_is_named() -> None:
    concept = samples.concept()
    concept.rationale = "[Insert rationale about the harbor lighthouse keeper here]"
    concept.candidates[2].genre = "tbd"
    result = criterion(Stage.CONCEPT, concept, "placeholders")
    assert [f.field for f in result.findings] == ["candidates[2].genre", "rationale"]


# --- 6. repetition -----------------------------------------------------------------------


def test_duplicate_descriptive_fields() -> None:
    cast = samples.characters()
    cast.characters[1].goal = "  " + cast.characters[0].goal.upper().replace(" ", "   ")
    result = criterion(Stage.CHARACTERS, cast, "repetition")
    assert [f.field for f in result.findings] == ["characters[1].goal"]
    assert result.findings[0].problem == "identical to characters[0].goal"
    prose_fields = 4 * 3 + 2
    assert result.score == round(1 - 1 / prose_fields, 3)


def test_sentence_repeated_three_times() -> None:
    plot = samples.plot_outline()
    beats = plot.beats()
    for beat in beats[:3]:
        beat.summary += " The tide turns."
    result = criterion(Stage.PLOT_OUTLINE, plot, "repetition")
    assert [f.field for f in result.findings] == ["acts[0].chapters[0].beats[0].summary"]
    assert "3 times" in result.findings[0].problem
    assert not result.hard_failure  # three words: a refrain, not a copied sentence


def test_sentence_twice_and_shared_short_fields_are_not_repetition() -> None:
    plot = samples.plot_outline()
    for beat in plot.beats()[:2]:
        beat.summary += " The tide turns."
    for chapter in plot.acts[0].chapters:
        chapter.title = "Storm"
    assert criterion(Stage.PLOT_OUTLINE, plot, "repetition").findings == ()
