import pytest

from genesis_pipeline.gates.language import (
    language_problem,
    primary_language,
    script_units,
    stopwords,
)

ENGLISH = (
    "Rosa Iturra is about to close her grandmother's bakery when she finds a handwritten "
    "recipe with a warning: only one batch, only one night."
)
SPANISH = (
    "Rosa Iturra va a cerrar la panadería de su abuela cuando encuentra una receta escrita "
    "a mano con una advertencia: solo una hornada, solo una noche."
)
FRENCH = (
    "Saltmere est une ville portuaire sur une côte que la mer reprend lentement, et le phare "
    "est tenu par un seul gardien depuis 1702."
)
GERMAN = (
    "Die Weil Violin macht die verfluchte Geige zum Herzen der Geschichte, und jedes Geschenk "
    "kostet sie eine Erinnerung an ihr Leben."
)
CHINESE = (
    "1926年的上海。名誉扫地的侦探沈明宇被召回明珠戏院，一名女演员的死状与一出被遗忘的戏曲一模一样。"
)
JAPANESE = "一九二六年の上海で、失脚した刑事の沈明宇は、忘れられたオペラをなぞる殺人事件を追う。"
RUSSIAN = "Смотритель маяка в тонущем портовом городе узнаёт, что его лампа зовёт корабли."


@pytest.mark.parametrize(
    ("text", "language", "said"),
    [
        (ENGLISH, "es", "function words are 'en'"),
        (SPANISH, "en", "function words are 'es'"),
        (FRENCH, "en", "function words are 'fr'"),
        (GERMAN, "en", "function words are 'de'"),
        (ENGLISH, "es-MX", "not written in 'es'"),
        (CHINESE, "en", "mostly in cjk script"),
        (ENGLISH, "zh", "mostly in latin script"),
        (ENGLISH, "ru", "mostly in latin script"),
        (RUSSIAN, "fr", "mostly in cyrillic script"),
        (CHINESE, "ja", "no kana"),
        (JAPANESE, "zh", "reads as Japanese"),
    ],
)
def test_text_in_another_language_is_found(text: str, language: str, said: str) -> None:
    problem = language_problem(text, language)
    assert problem is not None and said in problem


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (ENGLISH, "en"),
        (SPANISH, "es"),
        (FRENCH, "fr"),
        (GERMAN, "de"),
        (CHINESE, "zh"),
        (JAPANESE, "ja"),
        (RUSSIAN, "ru"),
        (SPANISH, "ES_es"),
        (ENGLISH, "sv"),  # a Latin-script language without a profile: only the script counts
        (ENGLISH, "tlh"),  # an unknown code is never judged
        (ENGLISH, "x-private"),
        ("Ada Venn", "es"),  # too short to tell
        ("The Lamp of Saltmere", "zh"),
        ("Su abuela la llama «Bread of the Dead», como la película que vio en 1962.", "es"),
        ("Visitors call the chapel a memento mori, and the keepers call it home.", "en"),
        ("1926年的上海，Shen Mingyu 和 Du Qiuyan 在明珠戏院相遇。", "zh"),
    ],
)
def test_text_in_the_language_or_too_short_to_tell_passes(text: str, language: str) -> None:
    assert language_problem(text, language) is None


def test_primary_language() -> None:
    assert [primary_language(code) for code in ("en", "ES-mx", "pt_BR", " de ")] == [
        "en",
        "es",
        "pt",
        "de",
    ]


def test_stopwords_of_a_profile_and_of_none() -> None:
    assert {"el", "los", "que"} <= stopwords("es-AR")
    assert stopwords("sv") == frozenset()


def test_script_units_count_words_of_alphabets_and_letters_of_ideographs() -> None:
    units = script_units("Shen Mingyu 在上海")
    assert (units["LATIN"], units["CJK"]) == (2, 3)
