import pytest

from genesis_pipeline.gates.names import (
    NameDrift,
    drifted_names,
    name_mentions,
    name_tokens,
    vocabulary,
)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Corin Hale, master of the guild, meets Ada Venn.", ["Corin Hale", "Ada Venn"]),
        ("When Ada Venn lights the lamp, nothing happens.", ["Ada Venn"]),
        ("The lamp answers Inspector Chen.", ["Chen"]),
        ("Inspector Chen waits at the quay.", ["Chen"]),
        ("The brig calls Ada. Then it calls Ada again.", ["Ada"]),
        ("Hale's ledger is open; Corin Hale's secret is out.", ["Corin Hale"]),
        ("Set in Halcar Vex, Sora Adeov waits.", ["Halcar Vex", "Sora Adeov"]),
    ],
)
def test_people_are_found(text: str, names: list[str]) -> None:
    assert name_mentions(text) == names


@pytest.mark.parametrize(
    "text",
    [
        "Ada waits.",  # a lone word at a sentence start could be anything
        "The Harbor Guild owns the quays.",
        "She walks to the Lower Harbor and the Drowned Chapel.",
        "An actress dies as in The Jade Hairpin, a banned opera.",
        'Fang hums "Jade Hairpin" under his breath.',
        "They meet at Pearl Moon Theatre and at Huxinting Teahouse.",
        "In June the French and the Chinese New Year crowds fill Nanjing Road.",
        "Tomorrow the tide turns.",
        "Peking opera fills the hall once.",  # one lone mention of a word
    ],
)
def test_places_things_and_lone_words_are_not_people(text: str) -> None:
    assert name_mentions(text) == []


def test_articles_of_other_languages_mark_things() -> None:
    assert name_mentions("Rosa Iturra hornea en la Panadería Iturra.", "es") == ["Rosa Iturra"]


def test_name_tokens_leave_out_titles_and_possessives() -> None:
    assert name_tokens("Inspector Ada Venn's") == {"ada", "venn"}


def test_vocabulary_is_lowercase_words() -> None:
    assert vocabulary(["The Harbor Guild's", "Gull Point"]) == {
        "the",
        "harbor",
        "guild",
        "gull",
        "point",
    }


CAST = ["Ada Venn", "Corin Hale", "Tom Ashworth", "Nell Ashby"]


@pytest.mark.parametrize(
    ("mentions", "drifts"),
    [
        (["Ada Venn", "Ada", "Inspector Corin Hale"], []),
        (["Ada Vane"], [NameDrift("Ada Vane", 0)]),
        (["Harold Finch"], [NameDrift("Harold Finch", None)]),
        # "Ashby" also matches Nell, whom another mention accounts for: Tom was renamed.
        (["Nell Ashby", "Tom Ashby"], [NameDrift("Tom Ashby", 2)]),
    ],
)
def test_drifted_names(mentions: list[str], drifts: list[NameDrift]) -> None:
    assert drifted_names(mentions, CAST) == drifts


def test_a_mention_of_known_words_is_not_missing() -> None:
    known = frozenset({"orinex", "outpost"})
    assert drifted_names(["Orinex Outpost"], CAST, known) == []
    assert drifted_names(["Orinex Smith"], CAST, known) == [NameDrift("Orinex Smith", None)]
