"""Is a draft about its premise? The offline check, built to be hard to satisfy by stuffing.

Counting premise keywords anywhere in an artifact is what a template learns to satisfy ("the
drew", "the true", one keyword per slot). This check reads the premise as three kinds of term
and asks where and how they are used:

- anchors: the premise's proper nouns ("Shanghai") and years or eras ("1920s", "1791").
  A story set in 1920s Shanghai names Shanghai, with its capital, and a year of the 1920s. In
  the stages that set the scene (concept, story, worldview, bible) every anchor must appear in
  the fields that carry the story (see `CARRIERS`), or the draft is off-premise. Not looked for
  in premises written in title case or in German (every noun is capitalized there).
- keywords: the premise's other content words (three letters or more, not function words of
  English or of the session's language). Coverage counts each keyword once, fully when it is
  in the carrier fields and half when it is only elsewhere; min(3, keywords) are needed.
- ties: in the scene-setting stages at least one sentence of the carriers holds two premise
  terms. Real prose about a premise puts its words together ("a disgraced detective in 1920s
  Shanghai"); filled templates spread them one per sentence.

A term used as a bare noun after an article does not count when the premise does not use it
that way: "the drew" when the premise says "she drew" (the word follows a pronoun, an
auxiliary or "to" there), "the Shanghai" when the premise says "in Shanghai". Words match
whole, with common endings ("tide" matches "tides", "drown" matches "drowning").

Off-premise (the criterion's hard failure): a missing anchor, no tie, or less than half the
needed coverage. Cast and plot are held to coverage only: their link to the premise runs
through the story and world, which the consistency gate and the upstream links check.
Premises in scripts written without spaces (Chinese, Japanese, Thai) are not judged here: the
model judge (`judge.py`) covers them.
"""

import re
from dataclasses import dataclass
from typing import NamedTuple

from genesis_pipeline.domain.artifacts import (
    Artifact,
    BibleNarrative,
    Cast,
    Concept,
    PlotOutline,
    Story,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.verdicts import WHOLE_ARTIFACT, Finding
from genesis_pipeline.gates.language import (
    UNSPACED_SCRIPTS,
    primary_language,
    script_units,
    stopwords,
)
from genesis_pipeline.gates.text import STOPWORDS, TextField, split_sentences, text_fields

KEYWORDS_NEEDED = 3
MIN_COVERAGE = 0.5

# Three-letter function words (the four-letter and longer ones are `text.STOPWORDS`).
_SHORT_STOPWORDS_TEXT = """
the and but for nor yet her his she him its who why how was are has had not can may
our out own too all any few new old off get got let now did way you per via ago one two
use yes
"""
_SHORT_STOPWORDS = frozenset(_SHORT_STOPWORDS_TEXT.split())
_ARTICLES_TEXT = "the a an this that these those her his its their our my your every each some"
_ARTICLES = frozenset(_ARTICLES_TEXT.split())
# A premise word right after one of these is a verb or an adjective there ("she drew",
# "is becoming true", "that mirror"), so "the drew" in a draft is a stuffed keyword.
_VERBAL_CONTEXT_TEXT = """
she he they it we i you who that which is are was were be been being am become
becomes becoming became seem seems seemed grow grows grew get gets got feel feels
turn turns keep keeps stay stays remain remains will would can could must may might
should shall has have had does do did to not never
"""
_VERBAL_CONTEXT = frozenset(_VERBAL_CONTEXT_TEXT.split())
# Endings a premise word may gain or lose and still be the same word.
_ENDINGS = ("ing", "ies", "es", "ed", "ly", "s", "d")
_ACCEPTED_ENDINGS = frozenset(
    {"", "s", "es", "ed", "d", "ing", "er", "ers", "ly", "e", "hood", "ren", "ion", "ions"}
    | {"ation", "ations", "al"}
)
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_DECADE = re.compile(r"^(\d{3})0s$")
_TITLE_CASE_SHARE = 0.5
MIN_YEAR_DIGITS = 3


class Term(NamedTuple):
    text: str
    anchor: bool
    # Whether an occurrence right after an article counts (the premise uses it that way too).
    after_article: bool


@dataclass(frozen=True)
class PremiseFit:
    score: float
    findings: tuple[Finding, ...]
    off_premise: bool


def _tokens(text: str) -> list[str]:
    return [token.removesuffix("'s").removesuffix("’s") for token in _TOKEN.findall(text)]


def _unspaced(text: str) -> bool:
    units = script_units(text)
    return sum(units[script] for script in UNSPACED_SCRIPTS) > sum(units.values()) / 2


def premise_terms(premise: str, language: str = "en") -> list[Term]:
    """The premise's anchors and keywords, first occurrence first."""
    if _unspaced(premise):
        return []
    function_words = STOPWORDS | _SHORT_STOPWORDS | stopwords(language)
    words = _tokens(premise)
    sentence_starts = {0} | {
        len(_tokens(head))
        for head in (premise[: m.end()] for m in re.finditer(r"[.!?]\s+", premise))
    }
    letters = [
        word
        for position, word in enumerate(words)
        if position not in sentence_starts
        and word[0].isalpha()
        and word.lower() not in function_words
    ]
    title_case = sum(w[0].isupper() for w in letters) > _TITLE_CASE_SHARE * len(letters)
    names_by_capital = not title_case and primary_language(language) != "de"
    terms: dict[str, Term] = {}
    for position, word in enumerate(words):
        previous = words[position - 1].lower() if position else ""
        after_article = previous in _ARTICLES
        lowered = word.lower()
        if any(char.isdigit() for char in word):
            # Years and eras are anchors; a small count is as often written out ("2", "two").
            if sum(char.isdigit() for char in word) < MIN_YEAR_DIGITS:
                continue
            term = Term(lowered, anchor=True, after_article=True)
        elif (
            names_by_capital
            and word[0].isupper()
            and position not in sentence_starts
            and lowered not in function_words
        ):
            term = Term(word, anchor=True, after_article=after_article)
        elif len(word) >= 3 and word.isalpha() and lowered not in function_words:
            verbal = previous in _VERBAL_CONTEXT or previous.endswith("ly")
            term = Term(lowered, anchor=False, after_article=not verbal)
        else:
            continue
        terms.setdefault(term.text, term)
    return list(terms.values())


def _bases(word: str) -> set[str]:
    return {word} | {
        word[: -len(ending)]
        for ending in _ENDINGS
        if word.endswith(ending) and len(word) - len(ending) >= 3
    }


def _matches(term: Term, token: str) -> bool:
    if term.anchor:
        decade = _DECADE.match(term.text)
        if decade:
            return re.fullmatch(decade.group(1) + r"\ds?", token) is not None
        return token == term.text
    lowered = token.lower()
    return any(
        lowered.startswith(base) and lowered[len(base) :] in _ACCEPTED_ENDINGS
        for base in _bases(term.text)
    )


def uses(term: Term, text: str) -> bool:
    """Whether `text` uses the term the way the premise does (see the module docstring)."""
    tokens = _tokens(text)
    return any(
        _matches(term, token)
        and (term.after_article or index == 0 or tokens[index - 1].lower() not in _ARTICLES)
        for index, token in enumerate(tokens)
    )


# The fields that carry the story at each stage (`fit_field` names one of them in findings).
CARRIERS: dict[type[Artifact], tuple[str, ...]] = {
    Concept: ("hook",),
    Story: ("logline", "synopsis", "central_conflict"),
    Worldview: ("setting", "history"),
    Cast: ("goal", "flaw", "arc"),
    PlotOutline: ("summary",),
    BibleNarrative: ("blurb",),
}
SCENE_SETTING: tuple[type[Artifact], ...] = (Concept, Story, Worldview, BibleNarrative)


def _model(artifact: Artifact) -> type[Artifact]:
    return next(model for model in CARRIERS if isinstance(artifact, model))


def fit_field(artifact: Artifact) -> str:
    """The field a premise finding names: where the story is told at this stage."""
    if isinstance(artifact, Concept):
        return f"candidates[{artifact.selected}].hook"
    named = {Story: "synopsis", Worldview: "setting", BibleNarrative: "blurb"}
    return named.get(_model(artifact), WHOLE_ARTIFACT)


def _name(field: TextField) -> str:
    return field.path.rsplit(".", 1)[-1].split("[", 1)[0]


def carrier_text(artifact: Artifact) -> str:
    """The carrier fields of the artifact, one per line, with its titles taken out: a title
    that repeats premise words ("The Lamp of Saltmere") says nothing about what happens."""
    names = CARRIERS[_model(artifact)]
    fields = text_fields(artifact)
    if isinstance(artifact, Concept):
        # The selected concept's hook is what the story is built on: the other candidates
        # cannot carry it, nor can a rationale that only talks about it.
        fields = [f for f in fields if f.path.startswith(f"candidates[{artifact.selected}].")]
    text = "\n".join(field.value for field in fields if _name(field) in names)
    for title in {field.value for field in fields if _name(field) == "title"}:
        text = re.sub(re.escape(title), " ", text, flags=re.IGNORECASE)
    return text


def _quoted(terms: list[Term]) -> str:
    return ", ".join(repr(term.text) for term in terms)


def premise_fit(artifact: Artifact, spec: SessionSpec) -> PremiseFit:
    """How well the draft is about the premise, offline; see the module docstring."""
    terms = premise_terms(spec.premise, spec.language)
    if not terms:
        return PremiseFit(1.0, (), False)
    carriers = carrier_text(artifact)
    everything = "\n".join(field.value for field in text_fields(artifact))
    field = fit_field(artifact)
    scene = isinstance(artifact, SCENE_SETTING)
    findings: list[Finding] = []
    score = 1.0

    keywords = [term for term in terms if not term.anchor]
    if keywords:
        covered = sum(
            1.0 if uses(term, carriers) else 0.5 if uses(term, everything) else 0.0
            for term in keywords
        )
        needed = min(KEYWORDS_NEEDED, len(keywords))
        score = min(1.0, covered / needed)
        if covered < needed:
            found = [term for term in keywords if uses(term, everything)]
            findings.append(
                Finding(
                    field=field,
                    problem=f"mentions {len(found)} of the premise's keywords, expected at "
                    f"least {needed} of: {_quoted(keywords)} (used as the premise uses them)",
                )
            )
    off_premise = score < MIN_COVERAGE

    anchors = [term for term in terms if term.anchor]
    missing = [term for term in anchors if not uses(term, carriers)]
    if scene and missing:
        score *= 1 - len(missing) / len(anchors)
        off_premise = True
        findings.append(
            Finding(
                field=field,
                problem=f"not set in the premise: {_quoted(missing)} never named here "
                "(a name with its capital; a decade by a year in it)",
            )
        )
    if scene and len(terms) >= 2 and not _tied(terms, carriers):
        score /= 2
        off_premise = True
        findings.append(
            Finding(
                field=field,
                problem="no sentence here ties two of the premise's words together "
                f"({_quoted(terms)}): say in one sentence what the premise says",
            )
        )
    return PremiseFit(score, tuple(findings), off_premise)


def _tied(terms: list[Term], carriers: str) -> bool:
    return any(
        sum(uses(term, sentence) for term in terms) >= 2
        for line in carriers.splitlines()
        for sentence in split_sentences(line)
    )
