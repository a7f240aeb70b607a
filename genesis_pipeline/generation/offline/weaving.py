"""Weaving revision notes into text that already exists, within the length bounds."""

import re
from collections.abc import Sequence

from genesis_pipeline.gates.text import placeholder_markers
from genesis_pipeline.generation.offline.instructions import note_words

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
SHORT_LIMIT = 120
DESCRIPTIVE_LIMIT = 1500
LONG_LIMIT = 4000
_NOTE_LIMIT = 300


def note_clause(notes: Sequence[str]) -> str:
    """The notes as one clause, in the writer's own words where they are safe to repeat."""
    clauses = []
    for note in notes:
        text = note.strip().rstrip(".!?;:")
        if placeholder_markers(text):
            text = ", ".join(note_words((text,)))
        if text:
            clauses.append(text[:1].lower() + text[1:])
    clause = "; ".join(clauses)
    if len(clause) > _NOTE_LIMIT:
        clause = clause[:_NOTE_LIMIT].rsplit(" ", 1)[0]
    return clause


def with_sentence(text: str, sentence: str, limit: int) -> str:
    """The text with the sentence appended once, dropping older middle sentences to fit."""
    if " ".join(sentence.lower().split()) in " ".join(text.lower().split()):
        return text
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s]
    while len(sentences) > 1 and len(" ".join([*sentences, sentence])) > limit:
        # Keep the opening sentence: it carries the field's names and premise words.
        del sentences[1]
    return " ".join([*sentences, sentence])[:limit]


def with_words(text: str, words: Sequence[str], limit: int = SHORT_LIMIT) -> str:
    """A short field with words added, as many as fit."""
    result = text.strip()
    for word in words:
        if word.lower() in result.lower():
            continue
        candidate = f"{result}, {word}"
        if len(candidate) > limit:
            break
        result = candidate
    return result
