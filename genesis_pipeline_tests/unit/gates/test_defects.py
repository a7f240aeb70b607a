import pytest

from genesis_pipeline.gates.defects import (
    boilerplate,
    looping,
    markup,
    trigram_repeat_ratio,
    truncation,
)

# --- truncation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "She walked into the",
        "Ada Venn keeps the lamp of Saltmere and waits for the brig from 1791, which never",
        "Ilse Brandt plays one bar, then breaks the vio",
        "The guild owns the quays, the warehouses,",
        "The tide turns;",
        "Rosa descubre que cada regreso se pa",
    ],
)
def test_text_cut_off_is_truncated(text: str) -> None:
    problem = truncation(text)
    assert problem is not None and problem.startswith("cut off mid-sentence")
    assert text[-10:] in problem


@pytest.mark.parametrize(
    "text",
    [
        "She walked into the lighthouse.",
        "Who answers the lamp?",
        "The brig answers!",
        '"Play," he says.',
        "“The opera always ends the same way.”",
        "Vague where memories have gone…",
        "(The Tide Wardens keep the names.)",
        "上海，一九二六年。",
        "Trailing spaces after the stop.   ",
    ],
)
def test_text_ending_like_a_sentence_is_not_truncated(text: str) -> None:
    assert truncation(text) is None


def test_a_long_tail_is_shown_clipped() -> None:
    problem = truncation("word " * 30 + "and then")
    assert problem is not None and "…" in problem and "and then" in problem


# --- looping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Ada waits at the lamp. Ada waits at the lamp. The brig comes.", "2 times"),
        ("It ends. It ends. It ends.", "3 times"),
        ("The sea, the sea, the sea, the sea calls her home.", "'the sea' loops"),
        ("She forgot, forgot, forgot, forgot her own name.", "'forgot' loops"),
        ("很久很久很久以前，有一座灯塔。", "loops"),
    ],
)
def test_loops_are_found(text: str, said: str) -> None:
    problem = looping(text)
    assert problem is not None and said in problem


def test_a_loop_with_one_word_changed_each_time_is_found_by_its_trigrams() -> None:
    text = " ".join(
        f"Nell Ashby walks down to the lake and the lake is {word}."
        for word in ("cold", "deep", "dark", "still")
    )
    problem = looping(text)
    assert problem is not None and "repeats" in problem


@pytest.mark.parametrize(
    "text",
    [
        "Never again. Never again.",  # a short sentence twice is a refrain
        "Ada waits; Ada watches; Ada Venn keeps the lamp of Saltmere.",
        "Hear it once more, once more before he dies.",
        "Far, far, far away the brig still sails.",  # a word three times in a row
        "Saltmere is sinking a hand's width every year, and Ada Venn is the last keeper of its "
        "lighthouse. One storm night the lamp turns green and a brig from 1791 answers.",
    ],
)
def test_ordinary_prose_does_not_loop(text: str) -> None:
    assert looping(text) is None


def test_trigram_repeat_ratio() -> None:
    assert trigram_repeat_ratio(["a", "b"]) == 0.0
    assert trigram_repeat_ratio(["a", "b", "c", "d", "e"]) == 0.0
    assert trigram_repeat_ratio(["a", "b", "c", "a", "b", "c"]) == 0.25  # abc bca cab abc


# --- markup -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ('```json\n{"synopsis": "Ada waits."}\n```', ["code fence", "JSON"]),
        ("~~~\nAda waits.\n~~~", ["code fence"]),
        ('{"title": "The Lamp"}', ["JSON"]),
        ('Ada waits.\n"chapters": [1, 2]', ["JSON"]),
        ('["The first entry.", "The second entry."]', ["JSON"]),
        ("{\n  Ada waits.\n}", ["JSON"]),
        ("## Synopsis\nAda waits.", ["Markdown heading"]),
        ("Ada waits.\n# Act One", ["Markdown heading"]),
        ("**Synopsis:** Ada waits.", ["Markdown bold label"]),
        ("**Goal**: win.", ["Markdown bold label"]),
        ("**The Lamp of Saltmere**\nAda waits.", ["Markdown bold label"]),
        ("- Ada waits.\n- The brig comes.", ["Markdown list"]),
        ("1. Ada waits.\n2) The brig comes.", ["Markdown list"]),
        ("Ada <b>waits</b>.<br>", ["HTML tag"]),
        # What SmolLM2-135M left in short fields when its answer ran on into the JSON.
        ('Fantasy,"","themes">{', ["JSON"]),
        ('"You are not what you think""]}, {title:', ["JSON"]),
        (']} { "1.', ["JSON"]),
    ],
)
def test_markup_is_found(text: str, kinds: list[str]) -> None:
    assert markup(text) == kinds


@pytest.mark.parametrize(
    "text",
    [
        "Ada **never** sleeps on a spring tide.",  # emphasis inside a sentence
        "Ada keeps the *second* log.",
        "- Ada waits alone.",  # one dash line is not a list
        "—¿Eres tú, abuela? —pregunta Rosa.",  # dialogue dashes
        "He said: the sea keeps what it takes.",
        "The guild (founded 1702) owns the quays; No. 7 is the oldest.",
        "Room #4 is where the ledger hides.",
        'She whispers "Run": nobody moves.',
        'She said "go", "now" and left.',
        'The "Red" faction keeps its [sealed] ledgers.',
    ],
)
def test_prose_has_no_markup(text: str) -> None:
    assert markup(text) == []


# --- boilerplate --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("Sure! Here's the revised synopsis: Ada waits.", "Sure!"),
        ("Certainly. Ada waits.", "Certainly."),
        ("Here is the JSON for the cast: Ada waits.", "Here is the JSON"),
        ("Here's the updated logline: Ada waits.", "Here's the updated"),
        ("Below is the story: Ada waits.", "Below is the story"),
        ("Note: the tone is dark. Ada waits.", "Note:"),
        ("I have revised the blurb as requested.", "I have revised"),
        ("As an AI language model, I cannot write this.", "As an AI"),
        ("As a language model I think Ada waits.", "As a language model"),
        ("Ada waits. I hope this helps!", "I hope this helps"),
        ("Ada waits. Let me know if you want changes.", "Let me know if"),
        ("Ada waits. Feel free to adjust the tone.", "Feel free to adjust"),
        ("I'm sorry, but I cannot create a history.", "I'm sorry, but"),
        ("Ada waits.\n(Note: shorten this.)", "(Note:"),
        ("The cast in JSON format: Ada.", "in JSON"),
        ("¡Claro! Aquí tienes la ambientación.", "¡Claro!"),
        ("Voici le cadre de l'histoire.", "Voici"),
    ],
)
def test_assistant_boilerplate_is_found(text: str, phrase: str) -> None:
    found = boilerplate(text)
    assert found and found[0].startswith(phrase)


@pytest.mark.parametrize(
    "text",
    [
        "Ada cannot sleep on spring tides.",
        "Here is where the drowned come home.",
        "Great grey waves break over Gull Point.",
        "Claro que sí, dice Rosa Iturra.",
        "The android nanny hides the children from the governor.",
        "Surely the guild knows what it owes.",
    ],
)
def test_prose_is_not_boilerplate(text: str) -> None:
    assert boilerplate(text) == []
