"""Pure text helpers shared by the quality rubric and the offline generator that targets it.

Everything here looks only at strings and artifact models: no I/O, no clock, no randomness.
"""

import re
from enum import StrEnum
from typing import NamedTuple

from pydantic import BaseModel

from genesis_pipeline.domain.artifacts import Artifact

# Words of four letters or more that say nothing about a premise; shorter words never count.
_STOPWORD_TEXT = """
about above across after again against along also although among another around away
because been before behind being below beneath beside besides between beyond both
cannot could does doing done down during each either else even ever every from further
have having here hers herself himself however into itself just less like made make many
more most much must near neither never none nothing once only onto other others ours
ourselves over perhaps rather same several shall should since some something such than
that their theirs them themselves then there these they thing things this those though
through thus toward towards under unless until upon very were what whatever when where
whether which while whom whose will with within without would your yours yourself
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())

WORD_PATTERN = re.compile(r"[^\W\d_]+")
# Words inside a sentence may carry apostrophes or hyphens ("keeper's", "Saint-Malo").
SENTENCE_WORD_PATTERN = re.compile(r"[^\W\d_][\w'’-]*")
SENTENCE_END_PATTERN = re.compile(r"(?<=[.!?])\s+")
WHITESPACE_PATTERN = re.compile(r"\s+")

PLACEHOLDER_SUBSTRINGS: tuple[str, ...] = ("lorem ipsum", "placeholder")
PLACEHOLDER_WORDS: tuple[str, ...] = ("todo", "tbd", "tba", "fixme", "xxx", "n/a")
# Lookarounds instead of \b: "n/a" has a non-word character in the middle, and
# "todos" or "xxxl" must not count as the marker. "todo" is Spanish and Portuguese for "all",
# so it counts only as a programmer writes it: "TODO", or followed by a colon.
_PLACEHOLDER_WORD_PATTERN = re.compile(
    r"(?<!\w)((?i:tbd|tba|fixme|xxx|n/a)|TODO|(?i:todo)(?=\s*:))(?!\w)"
)
_HTML_TAGS = r"(?:b|i|em|strong|p|br|div|span|ul|ol|li|h[1-6])\b"
# Template slots a model left unfilled. Prose has no use for square brackets, braces or
# angle brackets around words (HTML tags are markup, reported by `defects.markup`), and a
# capitalized stand-in noun with a letter or number ("Character A", "Location 1") is a label.
PLACEHOLDER_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\[[^\[\]\n]{0,60}[^\W\d_][^\[\]\n]{0,60}\]"),
    re.compile(r"<(?!/?" + _HTML_TAGS + r")[^\W\d_][^<>\n]{0,40}>"),
    re.compile(r"\{\{?\s*[^\W\d][\w .'-]{0,40}\}\}?"),
    re.compile(
        r"\b(?:Character|Location|Place|Faction|Person|Organi[sz]ation|City|Town|Village|"
        r"Kingdom|Planet|Country|Protagonist|Antagonist|Villain|Hero|Name|Surname)"
        r"\s+(?:[A-Z]|\d{1,2})(?![\w-])"
    ),
    re.compile(r"\b(?:John|Jane) Doe\b"),
    re.compile(r"\((?:[a-z' ]{0,20} )?name\)"),
    re.compile(r"_{3,}"),
)


class FieldKind(StrEnum):
    SHORT = "short"
    DESCRIPTIVE = "descriptive"
    LONG = "long"


LENGTH_BOUNDS: dict[FieldKind, tuple[int, int]] = {
    FieldKind.SHORT: (2, 120),
    FieldKind.DESCRIPTIVE: (40, 1500),
    FieldKind.LONG: (150, 4000),
}

# Classified by field name alone: every model uses a name for one kind of text only
# (a `summary` is descriptive whether it belongs to a beat, a chapter or a story part).
FIELD_KINDS: dict[str, FieldKind] = {
    **dict.fromkeys(
        (
            "title",
            "name",
            "genre",
            "tone",
            "themes",
            "role",
            "kind",
            "point_of_view",
            "tense",
            "term",
        ),
        FieldKind.SHORT,
    ),
    **dict.fromkeys(
        (
            "hook",
            "logline",
            "central_conflict",
            "rationale",
            "description",
            "goal",
            "flaw",
            "arc",
            "history",
            "summary",
            "voice",
            "definition",
        ),
        FieldKind.DESCRIPTIVE,
    ),
    **dict.fromkeys(("synopsis", "setting", "blurb"), FieldKind.LONG),
}


class TextField(NamedTuple):
    path: str
    value: str
    kind: FieldKind


def prose_fields(fields: list[TextField]) -> list[TextField]:
    """The fields that hold sentences: short fields are names and labels."""
    return [field for field in fields if field.kind is not FieldKind.SHORT]


def premise_keywords(premise: str) -> list[str]:
    """Lowercase words of four letters or more that are not stopwords, first occurrence first."""
    words = WORD_PATTERN.findall(premise.lower())
    keywords = (word for word in words if len(word) >= 4 and word not in STOPWORDS)
    return list(dict.fromkeys(keywords))


def classify_field(name: str) -> FieldKind:
    """The kind of a text field by its name; an unknown name is a bug in this table."""
    try:
        return FIELD_KINDS[name]
    except KeyError:
        raise ValueError(f"text field {name!r} has no length class in FIELD_KINDS") from None


def _is_reference(name: str) -> bool:
    # Ids are slugs that point at other entities, not prose.
    return name == "id" or name.endswith(("_id", "_ids"))


def _walk(value: object, path: str, name: str) -> list[TextField]:
    if isinstance(value, str):
        return [TextField(path, value, classify_field(name))]
    if isinstance(value, BaseModel):
        return [
            field
            for child_name in type(value).model_fields
            if not _is_reference(child_name)
            for field in _walk(
                getattr(value, child_name),
                f"{path}.{child_name}" if path else child_name,
                child_name,
            )
        ]
    if isinstance(value, list):
        return [
            field
            for index, item in enumerate(value)
            for field in _walk(item, f"{path}[{index}]", name)
        ]
    # Numbers, the bible's `versions` mapping and None carry no prose.
    return []


def text_fields(artifact: Artifact) -> list[TextField]:
    """Every text field of an artifact with its dotted path, e.g. `characters[2].goal`."""
    return _walk(artifact, "", "")


def artifact_text(artifact: Artifact) -> str:
    """All the artifact's text in one lowercase string, for keyword and name searches."""
    return "\n".join(field.value for field in text_fields(artifact)).lower()


def normalize(text: str) -> str:
    """Lowercased with runs of whitespace collapsed: the form in which repetition is compared."""
    return WHITESPACE_PATTERN.sub(" ", text).strip().lower()


def split_sentences(text: str) -> list[str]:
    """Sentences ending in `.`, `!` or `?` (and a final unterminated one), stripped."""
    return [sentence.strip() for sentence in SENTENCE_END_PATTERN.split(text) if sentence.strip()]


def has_inner_capital(text: str) -> bool:
    """Whether a capitalized word appears anywhere except at the start of a sentence."""
    for sentence in split_sentences(text):
        words = SENTENCE_WORD_PATTERN.findall(sentence)
        if any(word[0].isupper() for word in words[1:]):
            return True
    return False


def is_specific(text: str, keywords: list[str]) -> bool:
    """Names something (a capitalized word inside a sentence), a premise keyword, or a number."""
    lowered = text.lower()
    return (
        has_inner_capital(text)
        or any(keyword in lowered for keyword in keywords)
        or any(char.isdigit() for char in text)
    )


def placeholder_markers(text: str) -> list[str]:
    """Placeholder markers found in the text: listed markers, then unfilled slots as found."""
    lowered = text.lower()
    found = [marker for marker in PLACEHOLDER_SUBSTRINGS if marker in lowered]
    words = {match.lower() for match in _PLACEHOLDER_WORD_PATTERN.findall(text)}
    found.extend(word for word in PLACEHOLDER_WORDS if word in words)
    found.extend(
        match.group(0) for pattern in PLACEHOLDER_PATTERNS for match in pattern.finditer(text)
    )
    return list(dict.fromkeys(found))
