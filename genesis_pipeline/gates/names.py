"""Names of people in prose, found by capitalization, for the name-drift rules.

A name mention is a run of capitalized words, within one clause, that is either several words
long ("Ada Venn"), a title before a word ("Inspector Chen"), or one word met at least twice
("Ada"). A run opening its clause loses a common first word ("When Ada Venn…" is "Ada Venn"),
and a lone word opening a clause is never a name: nothing tells it from "Tomorrow". Things
are left out: a run after an article or a quote, or starting with one ("the Harbor Guild",
"The Jade Hairpin"), a run whose last word names a place or a body ("Peking Opera", "Lower
Harbor"), and words capitalized without being names (months, days, nationalities).

A mention that matches no cast member is reported only if it has a word beyond the caller's
vocabulary (the premise, titles, places, factions, rules): this errs on the side of missing a
drifted name rather than reporting a place as a missing character.
"""

import re
from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

from genesis_pipeline.gates.language import stopwords
from genesis_pipeline.gates.text import SENTENCE_WORD_PATTERN, STOPWORDS, split_sentences

_TITLES_TEXT = """
mr mrs ms miss dr doctor professor inspector detective captain sergeant constable
officer lieutenant colonel general admiral commander chief judge lord lady sir dame
madam madame mademoiselle monsieur don doña señor señora señorita king queen prince
princess duke duchess count countess baron baroness emperor empress saint st father
mother sister brother aunt uncle grandma grandpa master mistress old young little
"""
TITLES: frozenset[str] = frozenset(_TITLES_TEXT.split())
# The last word of a run that makes it a place, a building, a body or an event.
_PLACE_WORDS_TEXT = """
guild society street road lane avenue alley square market house hall theatre theater
opera company bank club church chapel cathedral temple shrine monastery abbey river bay
sea ocean island isle mountain mountains hill hills lake bridge tower castle palace
fort station academy school university college hotel inn tavern manor farm mill quay
harbor harbour port dock docks city town village kingdom empire republic council order
brotherhood sisterhood trust union corps army navy police bureau ministry museum library
gate gates gardens garden park court war festival revolution dynasty concession
settlement district quarter ward valley forest woods coast point light lighthouse
chamber archive archives press times gazette herald ledger codex pact accord treaty
year years day night calle plaza casa iglesia teatro puerto río cerro barrio
teahouse cafe café restaurant bar pub shop store office prison hospital cemetery mine
factory warehouse pier wharf beach desert airport outpost colony base dome estate cottage
villa cave ruins field fields terrace row way rue place maison
"""
PLACE_WORDS: frozenset[str] = frozenset(_PLACE_WORDS_TEXT.split())
_COMMON_CAPITALIZED_TEXT = """
i god january february march april may june july august september october november
december monday tuesday wednesday thursday friday saturday sunday christmas easter
english british french german spanish italian chinese japanese korean russian american
european african asian indian arab arabic latin greek roman christian catholic
protestant muslim jewish buddhist western eastern northern southern north south east
west chapter act part book volume
"""
COMMON_CAPITALIZED: frozenset[str] = frozenset(_COMMON_CAPITALIZED_TEXT.split())
MIN_SINGLE_WORD_MENTIONS = 2

# A name never runs across punctuation: "Set in Orinex Outpost, Sora's Vector is…" names two.
_CLAUSE_BREAK = re.compile(r"[,;:()\n]")
_QUOTES = "\"'“‘«*_"
# Articles of the profiled languages: a capitalized run right after one is a thing, not a person.
ARTICLES: frozenset[str] = frozenset(
    {"the", "a", "an", "el", "la", "los", "las", "un", "una", "le", "les", "une", "der", "die"}
    | {"das", "ein", "eine", "il", "lo", "gli", "o", "os", "um", "uma", "het", "een"}
)


def _bare(word: str) -> str:
    """The word without a possessive: "Hale's" is "Hale"."""
    return word.removesuffix("'s").removesuffix("’s")


def vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """The lowercased words of `texts`, to be excluded from name mentions."""
    return frozenset(
        _bare(word).lower() for text in texts for word in SENTENCE_WORD_PATTERN.findall(text)
    )


class _Run(NamedTuple):
    words: list[str]
    opens: bool  # the run starts its clause
    person_position: bool  # not after an article or a quote, and not itself a title of a work


def _runs(clause: str) -> list[_Run]:
    """Runs of capitalized words in one clause."""
    matches = list(SENTENCE_WORD_PATTERN.finditer(clause))
    runs: list[_Run] = []
    index = 0
    while index < len(matches):
        if not matches[index].group(0)[0].isupper():
            index += 1
            continue
        start = index
        while index < len(matches) and matches[index].group(0)[0].isupper():
            index += 1
        words = [_bare(match.group(0)) for match in matches[start:index]]
        before = matches[start - 1].group(0).lower() if start else ""
        opening = clause[: matches[start].start()].rstrip()
        quoted = bool(opening) and opening[-1] in _QUOTES
        # People are not "the Ada Venn"; "the Harbor Guild" and "The Jade Hairpin" are things.
        person_position = before not in ARTICLES and not quoted and words[0].lower() not in ARTICLES
        runs.append(_Run(words, start == 0, person_position))
    return runs


def _candidate(run: _Run, common: frozenset[str]) -> list[str]:
    """The run's words that may name a person: a common word opening the clause is dropped
    (a title is kept), and a lone word opening it is nothing ("Tomorrow" as well as "Ada")."""
    words = run.words
    if run.opens and words[0].lower() in common - TITLES:
        return words[1:]
    if run.opens and len(words) == 1:
        return []
    return words


def name_mentions(text: str, language: str = "en") -> list[str]:
    """Names of people mentioned in `text`, in order (see the module docstring)."""
    common = STOPWORDS | stopwords(language) | COMMON_CAPITALIZED | TITLES | ARTICLES
    candidates = [
        words
        for sentence in split_sentences(text)
        for clause in _CLAUSE_BREAK.split(sentence)
        for run in _runs(clause)
        if run.person_position and (words := _candidate(run, common))
    ]
    single_counts = Counter(words[0] for words in candidates if len(words) == 1)
    names: list[str] = []
    for words in candidates:
        lowered = [word.lower() for word in words]
        titled = len(words) >= 2 and lowered[0] in TITLES
        person = [word for word in words if word.lower() not in TITLES]
        if not person or lowered[-1] in PLACE_WORDS:
            continue
        if len(words) == 1 and single_counts[words[0]] < MIN_SINGLE_WORD_MENTIONS:
            continue
        if any(word.lower() not in common for word in person) and (
            len(person) >= 2 or titled or len(words) == 1
        ):
            names.append(" ".join(person))
    return list(dict.fromkeys(names))


def name_tokens(name: str) -> frozenset[str]:
    """The words of a person's name that identify them, lowercased: titles left out."""
    words = (_bare(word).lower() for word in SENTENCE_WORD_PATTERN.findall(name))
    return frozenset(word for word in words if word not in TITLES)


class NameDrift(NamedTuple):
    mention: str
    # The cast member the mention seems to be a renamed version of; None when it matches no one.
    renamed_from: int | None


def drifted_names(
    mentions: Iterable[str], cast_names: list[str], known: frozenset[str] = frozenset()
) -> list[NameDrift]:
    """Mentions that match no cast member, or match one only in part ("Ada Venn" / "Ada Vane").

    A mention shorter or longer than the cast name ("Ada", "Inspector Ada Venn") is the same
    person; only a mention and a name that each have a word the other lacks are a rename. A
    rename is blamed on a cast member no other mention accounts for: when the story says
    "Tom Ashby" and "Nell Ashby" and the cast has "Nell Ashby" and "Tom Ashworth", Tom is the
    one renamed. A mention that matches no one is missing only if it has a word that is not
    `known` (the caller's vocabulary of places, titles and premise words).
    """
    cast_tokens = [name_tokens(name) for name in cast_names]
    mention_tokens = {mention: name_tokens(mention) for mention in mentions}

    def same(tokens: frozenset[str], index: int) -> bool:
        return tokens <= cast_tokens[index] or cast_tokens[index] <= tokens

    accounted = {
        index
        for tokens in mention_tokens.values()
        for index in range(len(cast_tokens))
        if tokens & cast_tokens[index] and same(tokens, index)
    }
    drifts: list[NameDrift] = []
    for mention, tokens in mention_tokens.items():
        matches = [index for index, names in enumerate(cast_tokens) if tokens & names]
        if not matches:
            if not tokens <= known:
                drifts.append(NameDrift(mention, None))
        elif not any(same(tokens, index) for index in matches):
            unaccounted = [index for index in matches if index not in accounted]
            drifts.append(NameDrift(mention, (unaccounted or matches)[0]))
    return drifts
