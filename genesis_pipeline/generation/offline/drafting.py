"""The working state of one stage draft: premise, seeded randomness, upstream and names in use.

Two random streams are kept apart on purpose: `rng` writes the base draft and depends only on
the session, stage, seed, premise and upstream, so a revision keeps the same cast and world;
`revision_rng` writes what the instructions add on top.
"""

import hashlib
import random
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.gates.text import placeholder_markers
from genesis_pipeline.generation.offline.instructions import RevisionPlan
from genesis_pipeline.generation.offline.lexicon import GenreLexicon
from genesis_pipeline.generation.offline.names import NAME_STYLES, NameForge
from genesis_pipeline.generation.offline.premise import PremiseFacts

T = TypeVar("T")
ArtifactT = TypeVar("ArtifactT", bound=Artifact)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
CANON_PEOPLE = 7
CANON_PLACES = 6


def seeded_rng(*parts: str) -> random.Random:
    """A random stream fixed by its parts; sha256 because `hash(str)` changes per process."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class Canon:
    """Names shared by every stage of a session, so the story and the cast agree on who's who."""

    people: tuple[str, ...]
    places: tuple[str, ...]
    hero_archetype: str
    hero_want: str
    threat: str


def session_canon(facts: PremiseFacts, session_id: str, seed: int) -> Canon:
    rng = seeded_rng("canon", session_id, str(seed), facts.text, facts.genre_key)
    forge = NameForge(rng, NAME_STYLES[facts.lexicon.name_style])
    people = tuple(forge.person() for _ in range(CANON_PEOPLE))
    places: list[str] = []
    kinds = rng.sample(facts.lexicon.place_kinds, CANON_PLACES)
    for kind in kinds:
        form = rng.random()
        if form < 0.6:
            name = f"{forge.place_stem()} {kind}"
        elif form < 0.8:
            name = f"{rng.choice(facts.lexicon.adjectives)} {kind}"
        else:
            name = forge.place_stem()
        if not forge.is_free(name):
            name = f"{forge.place_stem()} {kind}"
        forge.reserve(name)
        places.append(name)
    lexicon = facts.lexicon
    return Canon(
        people,
        tuple(places),
        hero_archetype=rng.choice(lexicon.archetypes),
        hero_want=rng.choice(lexicon.wants),
        threat=rng.choice(lexicon.threats),
    )


@dataclass
class Draft:
    facts: PremiseFacts
    canon: Canon
    rng: random.Random
    revision_rng: random.Random
    upstream: Mapping[Stage, Artifact]
    previous: Artifact | None
    plan: RevisionPlan
    _sentences: set[str] = field(default_factory=set)
    _template_uses: Counter[str] = field(default_factory=Counter)
    _subject_turn: int = 0

    @property
    def lex(self) -> GenreLexicon:
        return self.facts.lexicon

    def upstream_as(self, stage: Stage, model: type[ArtifactT]) -> ArtifactT | None:
        value = self.upstream.get(stage)
        return value if isinstance(value, model) else None

    def previous_as(self, model: type[ArtifactT]) -> ArtifactT | None:
        return self.previous if isinstance(self.previous, model) else None

    def revising(self) -> "Draft":
        """The same draft, writing with the random stream that the instructions fix."""
        return replace(self, rng=self.revision_rng)

    def pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def subject(self) -> str:
        """The next premise keyword in turn, so that an artifact mentions many of them."""
        subjects = self.facts.subjects
        word = subjects[self._subject_turn % len(subjects)]
        self._subject_turn += 1
        return word

    def forge(self, taken: Sequence[str] = ()) -> NameForge:
        style = NAME_STYLES[self.lex.name_style]
        return NameForge(self.rng, style, [*self.canon.people, *self.canon.places, *taken])

    def write(self, variants: Sequence[str], **slots: str) -> str:
        """One of the variants, filled in, preferring one whose sentences are new to the draft.

        The repetition rule counts sentences across the whole artifact, so a sentence already
        written elsewhere is avoided while another variant is still fresh.
        """
        order = list(variants)
        self.rng.shuffle(order)
        # Least-used templates first, so that sibling fields do not all read alike.
        order.sort(key=lambda variant: self._template_uses[variant])
        # A name ending in "i" before "can't" reads as a refusal to the quality gate.
        safe = [v for v in order if not placeholder_markers(_fill(v, slots))] or order
        chosen = next(
            (v for v in safe if not _sentence_keys(_fill(v, slots)) & self._sentences), safe[0]
        )
        text = _fill(chosen, slots)
        self._template_uses[chosen] += 1
        self._sentences |= _sentence_keys(text)
        return text


def _fill(template: str, slots: Mapping[str, str]) -> str:
    text = template.format(**slots)
    return text[0].upper() + text[1:]


def _sentence_keys(text: str) -> set[str]:
    return {" ".join(s.lower().split()) for s in _SENTENCE_END.split(text) if s.strip()}


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_names(names: Sequence[str]) -> str:
    """`A`, `A and B`, `A, B and C`."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
