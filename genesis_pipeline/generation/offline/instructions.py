"""Revision instructions read into a plan: fixes, requested additions and free-form notes."""

import re
from dataclasses import dataclass
from typing import Literal, cast, get_args

from genesis_pipeline.domain.artifacts import CharacterRole

WorldKind = Literal["location", "faction", "rule"]

ROLES: tuple[str, ...] = get_args(CharacterRole)
_ARTICLE = r"(?:a|an|another|one more)\s+(?:new\s+)?"
_STRUCTURED_CHARACTER = re.compile(
    rf"\badd\s+{_ARTICLE}character\s*\(([^)]*)\)\s*[:\-–—]?\s*(.*)$", re.IGNORECASE | re.DOTALL
)
_FREE_CHARACTER = re.compile(
    rf"\badd\s+{_ARTICLE}(?:({'|'.join(ROLES)})\s+)?character\b(.*)$", re.IGNORECASE | re.DOTALL
)
_WORLD_ELEMENT = re.compile(
    rf"\badd\s+{_ARTICLE}(location|place|faction|rule|law)\b(.*)$", re.IGNORECASE | re.DOTALL
)
_WORLD_KINDS: dict[str, WorldKind] = {
    "location": "location",
    "place": "location",
    "faction": "faction",
    "rule": "rule",
    "law": "rule",
}
# "named Ilse Varga" / "called the Drowned Chapel": capitalized words, or lowercase words up
# to the clause that describes them.
_CAPITALIZED_NAME = re.compile(
    r"\b(?:named|called)\s+((?:the\s+)?[A-Z][\w'’-]*(?:\s+(?:of\s+)?[A-Z][\w'’-]*){0,4})"
)
_PLAIN_NAME = re.compile(
    r"\b(?:named|called)\s+(.+?)(?=\s+(?:who|where|which|that|with)\b|[,:;.]|$)", re.IGNORECASE
)
_LEADING_FILLER = re.compile(r"^(?:[\s,:;\-–—]+|who\s+is\s+|who's\s+|that\s+is\s+)+", re.I)
_ROLE_IN_TEXT = re.compile(rf"\bas\s+(?:a|an|the)\s+({'|'.join(ROLES)})\b", re.IGNORECASE)


@dataclass(frozen=True)
class CharacterRequest:
    role: CharacterRole
    name: str | None
    description: str


@dataclass(frozen=True)
class WorldRequest:
    kind: WorldKind
    name: str | None
    description: str


@dataclass(frozen=True)
class RevisionPlan:
    fixes: tuple[str, ...] = ()
    characters: tuple[CharacterRequest, ...] = ()
    world: tuple[WorldRequest, ...] = ()
    notes: tuple[str, ...] = ()  # free-form feedback, as the writer (or a planner) wrote it

    @property
    def fixing(self) -> bool:
        """A gate asked for fixes: the draft must come out valid, with no injected flaw."""
        return bool(self.fixes)

    def notes_for(self, stage_takes_characters: bool, stage_takes_world: bool) -> tuple[str, ...]:
        """Free-form notes, plus requested additions this stage cannot make itself."""
        extra = [] if stage_takes_characters else [r.description for r in self.characters]
        extra += [] if stage_takes_world else [r.description for r in self.world]
        return self.notes + tuple(text for text in extra if text)


def read_instructions(instructions: tuple[str, ...]) -> RevisionPlan:
    fixes: list[str] = []
    characters: list[CharacterRequest] = []
    world: list[WorldRequest] = []
    notes: list[str] = []
    for raw in instructions:
        text = " ".join(raw.split())
        if not text:
            continue
        if text.lower().startswith("fix "):
            fixes.append(text)
        elif character := _character_request(text):
            characters.append(character)
        elif element := _world_request(text):
            world.append(element)
        else:
            notes.append(text)
    return RevisionPlan(tuple(fixes), tuple(characters), tuple(world), tuple(notes))


def _character_request(text: str) -> CharacterRequest | None:
    if structured := _STRUCTURED_CHARACTER.search(text):
        fields = dict(_pairs(structured.group(1)))
        description = _clean_description(structured.group(2))
        given_name, description = _name_in(description)
        role = _role(fields.get("role")) or "supporting"
        return CharacterRequest(role, fields.get("name") or given_name, description)
    if free := _FREE_CHARACTER.search(text):
        name, description = _name_in(free.group(2))
        role_in_text = _ROLE_IN_TEXT.search(description)
        role_word = free.group(1) or (role_in_text.group(1) if role_in_text else None)
        return CharacterRequest(
            _role(role_word) or "supporting", name, _clean_description(description)
        )
    return None


def _world_request(text: str) -> WorldRequest | None:
    match = _WORLD_ELEMENT.search(text)
    if match is None:
        return None
    name, description = _name_in(match.group(2))
    kind = _WORLD_KINDS[match.group(1).lower()]
    return WorldRequest(kind, name, _clean_description(description))


def _pairs(text: str) -> list[tuple[str, str]]:
    pairs = (part.split(":", 1) for part in text.split(";") if ":" in part)
    return [(key.strip().lower(), value.strip()) for key, value in pairs if value.strip()]


def _role(value: str | None) -> CharacterRole | None:
    lowered = (value or "").strip().lower()
    return cast(CharacterRole, lowered) if lowered in ROLES else None


def _name_in(text: str) -> tuple[str | None, str]:
    """The name given with "named"/"called", and the text without that phrase."""
    match = _CAPITALIZED_NAME.search(text) or _PLAIN_NAME.search(text)
    if match is None:
        return None, text
    name = match.group(1).strip(" ,;:.")
    name = name if any(c.isupper() for c in name) else name.title()
    rest = (text[: match.start()] + text[match.end() :]).strip()
    return (name if 2 <= len(name) <= 80 else None), rest


def _clean_description(text: str) -> str:
    return _LEADING_FILLER.sub("", text).strip().rstrip(".;,")
