"""Is a prose field written in the session's language? A deterministic, offline guess.

Two signals, both cheap and explainable in a finding:
- the script: every letter's Unicode script (the first word of its Unicode name: LATIN,
  CYRILLIC, CJK, HIRAGANA, ...) against the scripts the language is written in;
- for Latin-script languages with a profile below, the share of the text's words that are the
  language's most common function words ("the", "of" / "el", "de" / ...), against the other
  profiles: another profile must clearly win before the text is called foreign.

It never guesses against a writer: an unknown language code, a field too short to tell (names,
titles, a one-line label) or a Latin-script language without a profile is not judged.
"""

import re
import unicodedata
from collections import Counter

# Enough words for function-word counts to mean something.
MIN_PROFILE_WORDS = 8
# Enough letters (or ideographs) for the script share to mean something.
MIN_SCRIPT_UNITS = 12
# The share of the text's letters (a word of an alphabet counts once, an ideograph once)
# that must be in the language's scripts.
MIN_SCRIPT_SHARE = 0.5
# Japanese prose always carries kana; Chinese prose has next to none.
MIN_KANA_SHARE_JAPANESE = 0.05
# Another language wins when it has at least this many function words and this many times
# as many as the session's language.
MIN_FOREIGN_HITS = 3
FOREIGN_HITS_RATIO = 2.0

_PROFILE_TEXT: dict[str, str] = {
    "en": """the and of to in is was that with for his her she he it on as at by from they
        but not this which who their has have had are were be an into when its them
        there been would what while after before against""",
    "es": """el la los las de del y en que un una unos unas se por con para su sus es al lo
        como más pero le les ya fue este esta sin sobre entre cuando muy también hasta
        donde desde porque hay ella él ni otra otro son era está""",
    "fr": """le la les de des du et en un une est que qui dans pour pas sur au aux avec ce
        cette il elle ne se son sa ses par plus mais ou leur sont été était nous vous
        lui où même aussi""",
    "de": """der die das und ist nicht ein eine einen dem den des zu mit sich auf für von
        im auch sie er es wird wie aus bei nach noch sein seine ihre dass wenn aber oder
        vor durch über zum zur hat war""",
    "it": """il lo la gli le di del della che e è un una per con non in si da al nel sono
        ma come anche suo sua più questo quando dove ha alla dei delle nella era""",
    "pt": """o a os as de do da dos das e em no na que um uma para com não por se ao sua
        seu mais como mas é ela ele foi nos pela pelo também quando onde""",
    "nl": """de het een en van in is dat op te zijn met voor niet aan er ook als maar om
        hij zij door naar bij uit worden wordt haar deze die dan was""",
}
STOPWORD_PROFILES: dict[str, frozenset[str]] = {
    code: frozenset(text.split()) for code, text in _PROFILE_TEXT.items()
}

# The Unicode scripts each language is written in, by ISO 639-1 code.
_SCRIPT_LANGUAGES_TEXT = """
LATIN: en es fr de it pt nl sv da no nb nn fi is pl cs sk sl hr bs ro hu tr et lv lt ga cy
    eu ca gl id ms tl vi sw af sq mt
CYRILLIC: ru uk be bg mk kk ky mn tg
ARABIC: ar fa ur ps
HEBREW: he yi
DEVANAGARI: hi mr ne
BENGALI: bn
TAMIL: ta
TELUGU: te
THAI: th
GEORGIAN: ka
ARMENIAN: hy
GREEK: el
CJK: zh
"""
LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **{
        code: frozenset({script})
        for script, codes in re.findall(r"([A-Z]+):([^:]+?)(?=\n[A-Z]|\Z)", _SCRIPT_LANGUAGES_TEXT)
        for code in codes.split()
    },
    # Languages written in more than one script.
    "sr": frozenset({"CYRILLIC", "LATIN"}),
    "ja": frozenset({"CJK", "HIRAGANA", "KATAKANA"}),
    "ko": frozenset({"HANGUL", "CJK"}),
}
# Scripts written without spaces between words: each character is one unit, not each run.
UNSPACED_SCRIPTS = frozenset({"CJK", "HIRAGANA", "KATAKANA", "THAI"})
_KANA = frozenset({"HIRAGANA", "KATAKANA"})

# Apostrophes split elisions ("l'homme", "dell'isola") into their function word and noun.
_PROFILE_WORD_PATTERN = re.compile(r"[^\W\d_]+")


def primary_language(code: str) -> str:
    """The primary subtag of a language tag, lowercased: "es-MX" and "ES_mx" are "es"."""
    return re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()


def stopwords(language: str) -> frozenset[str]:
    """The function words of a language's profile; empty for a language without one."""
    return STOPWORD_PROFILES.get(primary_language(language), frozenset())


def _script(char: str) -> str:
    # "KATAKANA-HIRAGANA PROLONGED SOUND MARK" belongs to the kana as much as either.
    name = unicodedata.name(char, "UNKNOWN").split(" ")[0]
    return "KATAKANA" if name == "KATAKANA-HIRAGANA" else name


def script_units(text: str) -> Counter[str]:
    """Letters counted per script: a word of an alphabet once, an unspaced-script letter once.

    Counting an alphabet's words rather than its letters keeps a Latin name inside Chinese
    prose from outweighing the ideographs around it.
    """
    units: Counter[str] = Counter()
    previous = ""
    for char in text:
        if not char.isalpha():
            previous = ""
            continue
        script = _script(char)
        if script in UNSPACED_SCRIPTS or script != previous:
            units[script] += 1
        previous = script
    return units


def profile_hits(text: str) -> dict[str, int]:
    """How many of the text's words are function words of each profiled language."""
    words = _PROFILE_WORD_PATTERN.findall(text.lower())
    return {
        code: sum(word in profile for word in words) for code, profile in STOPWORD_PROFILES.items()
    }


def _script_problem(units: Counter[str], expected: frozenset[str], language: str) -> str | None:
    total = sum(units.values())
    if total < MIN_SCRIPT_UNITS:
        return None
    share = sum(units[script] for script in expected) / total
    if share < MIN_SCRIPT_SHARE:
        main = units.most_common(1)[0][0].lower()
        return f"written mostly in {main} script, expected language {language!r}"
    kana = sum(units[script] for script in _KANA) / total
    if language == "ja" and kana < MIN_KANA_SHARE_JAPANESE:
        return "no kana: this reads as Chinese, expected language 'ja'"
    if language == "zh" and kana >= MIN_KANA_SHARE_JAPANESE:
        return "written with kana: this reads as Japanese, expected language 'zh'"
    return None


def _profile_problem(text: str, language: str) -> str | None:
    if len(_PROFILE_WORD_PATTERN.findall(text)) < MIN_PROFILE_WORDS:
        return None
    hits = profile_hits(text)
    own = hits[language]
    rival, rival_hits = max(
        ((code, count) for code, count in hits.items() if code != language),
        key=lambda pair: pair[1],
    )
    if rival_hits >= MIN_FOREIGN_HITS and rival_hits >= FOREIGN_HITS_RATIO * max(own, 1):
        return (
            f"not written in {language!r}: its function words are {rival!r} "
            f"({rival_hits} against {own})"
        )
    return None


def language_problem(text: str, language: str) -> str | None:
    """Why `text` is not in `language`, or None when it is or when it cannot be told."""
    code = primary_language(language)
    expected = LANGUAGE_SCRIPTS.get(code)
    if expected is None:
        return None
    problem = _script_problem(script_units(text), expected, code)
    if problem is None and code in STOPWORD_PROFILES:
        problem = _profile_problem(text, code)
    return problem
