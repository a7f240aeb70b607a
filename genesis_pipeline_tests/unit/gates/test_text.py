import pytest

from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.text import (
    FieldKind,
    classify_field,
    is_specific,
    normalize,
    placeholder_markers,
    premise_keywords,
    split_sentences,
    text_fields,
)
from genesis_pipeline_tests.unit.gates import samples


def test_premise_keywords_are_long_non_stopwords_deduplicated_in_order() -> None:
    premise = "The old Lighthouse keeper, with the LIGHTHOUSE and a harbor: keepers' town 1791."
    assert premise_keywords(premise) == ["lighthouse", "keeper", "harbor", "keepers", "town"]


def test_premise_without_keywords() -> None:
    assert premise_keywords("It is what it was, and then some.") == []


def test_text_fields_use_dotted_paths_and_classify_each_field() -> None:
    fields = {field.path: field for field in text_fields(samples.characters())}
    assert fields["characters[2].goal"].value.startswith("Read the names")
    assert fields["characters[2].goal"].kind is FieldKind.DESCRIPTIVE
    assert fields["characters[0].role"].kind is FieldKind.SHORT
    assert fields["characters[0].relationships[1].kind"].kind is FieldKind.SHORT
    assert fields["characters[0].relationships[1].description"].kind is FieldKind.DESCRIPTIVE


def test_text_fields_leave_out_ids_numbers_and_versions() -> None:
    paths = [field.path for stage in Stage for field in text_fields(samples.artifact(stage))]
    assert not [path for path in paths if path.endswith(("id", "_ids", "number", "selected"))]
    assert not [path for path in paths if "versions" in path or "character_ids" in path]
    assert "acts[1].chapters[0].beats[1].summary" in paths
    assert "candidates[0].themes[2]" in paths
    assert "history[1]" in paths


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("title", FieldKind.SHORT),
        ("point_of_view", FieldKind.SHORT),
        ("term", FieldKind.SHORT),
        ("summary", FieldKind.DESCRIPTIVE),
        ("history", FieldKind.DESCRIPTIVE),
        ("definition", FieldKind.DESCRIPTIVE),
        ("synopsis", FieldKind.LONG),
        ("setting", FieldKind.LONG),
        ("blurb", FieldKind.LONG),
    ],
)
def test_classify_field(name: str, kind: FieldKind) -> None:
    assert classify_field(name) is kind


def test_unknown_field_name_is_an_error_not_a_silent_default() -> None:
    with pytest.raises(ValueError, match="mood"):
        classify_field("mood")


@pytest.mark.parametrize(
    ("text", "markers"),
    [
        ("Lorem Ipsum dolor sit amet", ["lorem ipsum"]),
        ("A PLACEHOLDER name", ["placeholder"]),
        ("Her name is [Insert name]", ["[Insert name]"]),
        ("[Character name] waits at <insert location>.", ["[Character name]", "<insert location>"]),
        (
            "Then <name> meets {protagonist} in {{ city }}.",
            ["<name>", "{protagonist}", "{{ city }}"],
        ),
        (
            "Character A and Location 1 and Faction B's men",
            ["Character A", "Location 1", "Faction B"],
        ),
        ("A letter from John Doe", ["John Doe"]),
        ("Her brother (name) and ___ arrive", ["(name)", "___"]),
        ("TODO: finish", ["todo"]),
        ("todo: finish", ["todo"]),
        ("Date (tbd).", ["tbd"]),
        ("Agent xxx arrives", ["xxx"]),
        ("Faction: N/A", ["n/a"]),
        ("TODO and lorem ipsum", ["lorem ipsum", "todo"]),
    ],
)
def test_placeholder_markers_found(text: str, markers: list[str]) -> None:
    assert placeholder_markers(text) == markers


@pytest.mark.parametrize(
    "text",
    [
        "Her todos were done.",
        "The XXXL coat",
        "Ada cannot sleep.",
        "Maren's naan",
        "An aim",
        "todo el cerro de Valparaíso",  # Spanish "all", not a marker
        "Chapter 3 and Act 2",  # parts of a book are not stand-in names
        "Character actors and a Town Anchor",  # a stand-in noun needs a lone letter or number
        "the <b>bold</b> word",  # HTML is markup, reported elsewhere
    ],
)
def test_placeholder_words_count_only_as_whole_words(text: str) -> None:
    assert placeholder_markers(text) == []


def test_split_sentences() -> None:
    text = "The lamp burns.  Who answers?\nA brig from 1791! And then silence"
    assert split_sentences(text) == [
        "The lamp burns.",
        "Who answers?",
        "A brig from 1791!",
        "And then silence",
    ]


def test_normalize_lowercases_and_collapses_whitespace() -> None:
    assert normalize("  The   Lamp\n burns ") == "the lamp burns"


@pytest.mark.parametrize(
    ("text", "specific"),
    [
        ("The sea keeps what it takes and returns it to Saltmere.", True),
        ("The sea keeps what it takes. It returns it slowly to us.", False),
        ("The sea keeps what it takes and returns it 3 times.", True),
        ("the sea keeps what the old lighthouse once lit.", True),
    ],
)
def test_is_specific(text: str, specific: bool) -> None:
    assert is_specific(text, ["lighthouse"]) is specific
