"""Word tables per genre: what the offline writers draw names, places and stakes from.

Lists of single words are written as one string and split, so that a genre fits on a screen.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class GenreLexicon:
    label: str
    cues: tuple[str, ...]  # word prefixes that suggest the genre in a premise
    name_style: str
    tones: tuple[str, ...]
    themes: tuple[str, ...]
    place_kinds: tuple[str, ...]
    adjectives: tuple[str, ...]
    groups: tuple[str, ...]
    rule_kinds: tuple[str, ...]
    title_nouns: tuple[str, ...]
    objects: tuple[str, ...]
    threats: tuple[str, ...]
    archetypes: tuple[str, ...]
    wants: tuple[str, ...]
    flaws: tuple[str, ...]


def words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def phrases(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())
