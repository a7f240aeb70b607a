import pytest

from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.verdicts import WHOLE_ARTIFACT
from genesis_pipeline.gates.relevance import Term, premise_fit, premise_terms, uses
from genesis_pipeline_tests.unit.gates import samples

SHANGHAI = (
    "A disgraced detective in 1920s Shanghai investigates murders that mirror a forgotten opera"
)
MAP = "the map she drew as a child is slowly becoming true"


def term(premise: str, text: str, language: str = "en") -> Term:
    return next(t for t in premise_terms(premise, language) if t.text == text)


def test_premise_terms_are_anchors_then_keywords_in_order() -> None:
    terms = premise_terms(SHANGHAI)
    assert [(t.text, t.anchor) for t in terms] == [
        ("disgraced", False),
        ("detective", False),
        ("1920s", True),
        ("Shanghai", True),
        ("investigates", False),
        ("murders", False),
        ("mirror", False),
        ("forgotten", False),
        ("opera", False),
    ]


def test_a_word_after_a_pronoun_or_auxiliary_is_not_a_noun_in_the_premise() -> None:
    verbal = {t.text for t in premise_terms(MAP) if not t.after_article}
    assert verbal == {"drew", "slowly", "becoming", "true"}
    assert "map" in {t.text for t in premise_terms(MAP)}  # three letters count


@pytest.mark.parametrize(
    ("premise", "language", "anchors"),
    [
        ("A Lighthouse Keeper In A Drowning Town Of Saltmere", "en", []),  # title case
        ("Ein Leuchtturmwärter in Hamburg findet eine Karte", "de", []),  # nouns are capitalized
        ("Una panadera de Valparaíso hereda una receta", "es", ["Valparaíso"]),
        ("The last beekeeper on Mars, in 2140.", "en", ["Mars", "2140"]),
        ("Two sisters and 3 cats leave London in 1850", "en", ["London", "1850"]),  # not "3"
    ],
)
def test_anchors(premise: str, language: str, anchors: list[str]) -> None:
    found = [t.text for t in premise_terms(premise, language) if t.anchor]
    assert found == [anchor.lower() if anchor.isdigit() else anchor for anchor in anchors]


def test_premises_written_without_spaces_are_left_to_the_judge() -> None:
    assert (
        premise_terms("一九二六年的上海，一位名誉扫地的侦探调查模仿一出被遗忘的戏曲的谋杀案") == []
    )


@pytest.mark.parametrize(
    ("premise", "word", "text", "counts"),
    [
        (MAP, "drew", "the map she drew at nine", True),
        (MAP, "drew", "Oakstead Terrace loses faith in the drew.", False),
        (MAP, "true", "whether the town remembers the true as a curse", False),
        (MAP, "map", "the map", True),
        (MAP, "child", "her childhood home", True),
        (SHANGHAI, "Shanghai", "in 1926 Shanghai", True),
        (SHANGHAI, "Shanghai", "no promise made over the shanghai can be broken", False),
        (SHANGHAI, "Shanghai", "the Trust of the Shanghai", False),
        (SHANGHAI, "1920s", "Shanghai, 1926.", True),
        (SHANGHAI, "1920s", "the 1920s", True),
        (SHANGHAI, "1920s", "in 1931", False),
        (SHANGHAI, "opera", "an operation", False),
        (SHANGHAI, "murders", "the murderer", True),
        (SHANGHAI, "investigates", "the investigation", True),
        ("A spy in the Kremlin", "Kremlin", "inside the Kremlin", True),
        (samples.PREMISE, "drowning", "the drowned crews", True),
        (samples.PREMISE, "keeper", "Ada keeps the lamp", False),
    ],
)
def test_uses(premise: str, word: str, text: str, counts: bool) -> None:
    assert uses(term(premise, word), text) is counts


def test_the_samples_are_about_their_premise() -> None:
    for stage in samples.SAMPLES:
        fit = premise_fit(samples.artifact(stage), samples.spec())
        assert (fit.score, fit.findings, fit.off_premise) == (1.0, (), False), stage


def shanghai(text: str) -> SessionSpec:
    return SessionSpec(premise=text)


def test_a_story_without_the_premises_place_and_time_is_off_premise() -> None:
    story = samples.story()
    story.synopsis = (
        "In Haybury a retired detective investigates murders staged like a forgotten opera, "
        "while the vicar hides what the village did in 1951."
    )
    fit = premise_fit(story, shanghai(SHANGHAI))
    assert fit.off_premise
    [missing] = [f for f in fit.findings if "not set in the premise" in f.problem]
    assert missing.field == "synopsis"
    assert "'1920s', 'Shanghai'" in missing.problem


def test_premise_words_spread_one_per_sentence_are_not_tied() -> None:
    story = samples.story()
    story.logline = "When Saltmere loses faith in the lighthouse, Ada Venn must act."
    story.synopsis = (
        "Everyone in Saltmere owes something to the harbor. The keeper has learned not to ask. "
        "Corin Hale has spent years shaping the century to serve one purpose."
    )
    story.central_conflict = "The fight over the lamp sets Ada Venn against Corin Hale."
    fit = premise_fit(story, samples.spec())
    assert fit.off_premise
    assert [f.field for f in fit.findings] == ["synopsis"]
    assert "ties two of the premise's words" in fit.findings[0].problem


def test_a_title_does_not_tie_the_premise_for_the_text() -> None:
    bible = samples.story_bible()
    bible.blurb = (
        "The Lamp of Saltmere is a fantasy about a lighthouse. Ada Venn waits for the ships. "
        "A book about the keeper and the harbor, told over one long winter of storms."
    )
    assert not premise_fit(bible, samples.spec()).off_premise
    bible.blurb = (
        "The Lamp of Saltmere is a fantasy about a lighthouse. Ada Venn waits alone. "
        "A book about the keeper, told over one long winter of storms at sea."
    )
    fit = premise_fit(bible, samples.spec())
    assert fit.off_premise and [f.field for f in fit.findings] == ["blurb"]


def test_cast_and_plot_need_no_anchor_and_no_tie() -> None:
    cast = samples.characters()
    for person in cast.characters:
        person.goal = f"{person.name} hunts the opera killer who stages murders as a detective."
    fit = premise_fit(cast, shanghai(SHANGHAI))
    assert (fit.score, fit.off_premise) == (1.0, False)


def test_a_cast_without_the_premises_words_is_off_premise() -> None:
    fit = premise_fit(samples.characters(), shanghai(SHANGHAI))
    assert fit.off_premise
    assert [f.field for f in fit.findings] == [WHOLE_ARTIFACT]
