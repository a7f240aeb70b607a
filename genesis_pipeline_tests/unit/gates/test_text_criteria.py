"""The hard text criteria through the quality gate: each fails a draft on its own."""

import pytest

from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.quality import DEFAULT_QUALITY_THRESHOLD, quality_criteria, quality_gate
from genesis_pipeline.gates.text import text_fields
from genesis_pipeline.gates.text_criteria import text_criteria
from genesis_pipeline_tests.unit.gates import samples
from genesis_pipeline_tests.unit.gates.quality_helpers import criterion, fields, judge


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("truncation", "Ada trusts the lamp more than people and keeps her"),
        ("looping", "He waits, he waits, he waits, he waits for the Harbor Guild."),
        ("markup", "## Flaw\nAda trusts the lamp more than people."),
        ("markup", '{"flaw": "Ada trusts the lamp more than people."}'),
        ("boilerplate", "Sure! Here is the flaw: Ada trusts the lamp more than people."),
        ("boilerplate", "As an AI, I cannot name Saltmere."),
        ("placeholders", "[Character flaw goes here], as in Saltmere."),
        (
            "language",
            "Ada confía más en la lámpara que en la gente y se guarda todo lo que descubre.",
        ),
    ],
)
def test_broken_text_fails_the_gate_whatever_the_score(name: str, text: str) -> None:
    cast = samples.characters()
    cast.characters[0].flaw = text
    verdict = judge(Stage.CHARACTERS, cast)
    assert verdict.score >= DEFAULT_QUALITY_THRESHOLD
    assert not verdict.passed
    result = criterion(Stage.CHARACTERS, cast, name)
    assert (result.score, result.hard_failure, result.weight) == (0.0, True, 0)
    assert [finding.field for finding in result.findings] == ["characters[0].flaw"]


def test_short_fields_are_neither_truncated_nor_in_a_language() -> None:
    concept = samples.concept()
    concept.candidates[0].genre = "misterio histórico"
    concept.candidates[1].title = "Tidebound and"
    results = text_criteria(text_fields(concept), samples.spec())
    assert [result.findings for result in results] == [()] * len(results)


def test_markup_in_a_short_field_is_still_markup() -> None:
    concept = samples.concept()
    concept.candidates[0].title = "**The Lamp of Saltmere**"
    assert fields(judge(Stage.CONCEPT, concept)) == ["candidates[0].title"]


def test_every_prose_field_in_the_wrong_language_is_named() -> None:
    spec = SessionSpec(premise=samples.PREMISE, language="es")
    story = samples.story()
    [language] = [
        result
        for result in quality_criteria(
            Stage.STORY, story, spec=spec, upstream=samples.upstream(Stage.STORY)
        )
        if result.name == "language"
    ]
    assert [f.field for f in language.findings] == [
        "logline",
        "synopsis",
        "central_conflict",
        "structure[0].summary",
        "structure[1].summary",
        "structure[2].summary",
    ]
    verdict = quality_gate(Stage.STORY, story, spec=spec, upstream=samples.upstream(Stage.STORY))
    assert not verdict.passed


def test_a_sentence_copied_into_three_fields_fails_the_gate() -> None:
    plot = samples.plot_outline()
    for beat in plot.beats()[:3]:
        beat.summary = "Ada Venn climbs the stair to the lamp room."
    result = criterion(Stage.PLOT_OUTLINE, plot, "repetition")
    assert result.hard_failure
    assert not judge(Stage.PLOT_OUTLINE, plot).passed
