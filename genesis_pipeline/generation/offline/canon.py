"""The names a session's offline drafts share: its people, places, factions and laws.

They are drawn from small fixed tables, seeded by the session and the premise only (never by
the attempt or a fresh start's seed), so the story, the world, the cast and the plot of one
session call everyone by the same name however often a stage is rewritten.
"""

import hashlib
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_FIRST = "Mara Tobias Ilka Desmond Nerys Caspian Wren Orla Silas Juno Aurel Petra Emeric"
_FIRST += " Liesel Rowan Sabine Idris Talia Bastian Yara Anselm Greta Florin Noor"
_LAST = "Quill Ashgrove Morrow Kestrel Halloran Penhallow Okafor Lindqvist Marchetti Dunmore"
_LAST += " Sorel Varga Holt Ferrante Castellan Rookwood Vance Brannock Idowu Szabo Lachance"
# The last word of a place or a faction marks it as one, so no reader takes it for a person.
_PLACE_STEMS = "Saltmere Greywater Emberwick Hollin Marrow Copperfield Ravensend Thistle"
_PLACE_STEMS += " Brackwater Oldwick Stonecrop Larkspur Cindergate Fallowmere Wexley Amberlyn"
_PLACE_KINDS = "Quay Market Archive Tower Chapel Library Bridge Mill Harbor Station Gardens"
_FACTION_WORDS = "Ashen Lantern Tidewise Iron Silver Quiet Gilded Salt Hollow Copper Pale Night"
_FACTION_KINDS = "Guild Council Society Order Trust Union"
_LAW_NAMES = (
    "The Tithe of Memory",
    "The Lantern Law",
    "The Quiet Accord",
    "The Salt Oath",
    "The Hour Rule",
    "The Debt of Names",
    "The Binding of Doors",
)


def seeded_rng(*parts: str) -> random.Random:
    """A random stream fixed by its parts; sha256 because `hash(str)` changes per process."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def entity_id(prefix: str, name: str, taken: Iterable[str] = ()) -> str:
    """A slug id such as `loc_salt_harbor` that matches the artifact id pattern and is unused."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    body = re.sub(r"^(the|a|an)_", "", re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_"))
    if not body:
        body = "x" + hashlib.sha256(name.encode()).hexdigest()[:8]
    base = f"{prefix}_{body}"[:58].rstrip("_")
    used = set(taken)
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base}_{number}"
        number += 1
    return candidate


@dataclass(frozen=True)
class Canon:
    people: tuple[str, ...]  # hero, antagonist, ally, mentor, rival, then spares for additions
    places: tuple[str, ...]
    factions: tuple[str, ...]
    laws: tuple[str, ...]

    @property
    def hero(self) -> str:
        return self.people[0]

    @property
    def antagonist(self) -> str:
        return self.people[1]

    @property
    def ally(self) -> str:
        return self.people[2]

    def spare_person(self, taken: Iterable[str]) -> str:
        used = set(taken)
        return next(
            (name for name in self.people if name not in used), f"{self.hero.split()[0]} Junior"
        )

    def spare_place(self, taken: Iterable[str]) -> str:
        used = set(taken)
        return next((name for name in self.places if name not in used), "Last Station")


def session_canon(session_id: str, premise: str) -> Canon:
    rng = seeded_rng("canon", session_id, premise)
    first, last = rng.sample(_FIRST.split(), 9), rng.sample(_LAST.split(), 9)
    stems, kinds = rng.sample(_PLACE_STEMS.split(), 8), _PLACE_KINDS.split()
    words, kinds_ = rng.sample(_FACTION_WORDS.split(), 3), rng.sample(_FACTION_KINDS.split(), 3)
    return Canon(
        people=tuple(f"{given} {family}" for given, family in zip(first, last, strict=True)),
        places=tuple(f"{stem} {rng.choice(kinds)}" for stem in stems),
        factions=tuple(f"{w} {k}" for w, k in zip(words, kinds_, strict=True)),
        laws=tuple(rng.sample(_LAW_NAMES, 3)),
    )
