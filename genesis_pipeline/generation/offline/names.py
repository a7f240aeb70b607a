"""Names built from syllable tables, and the slug ids that point at them.

Names are made, not picked from a list, so that two sessions rarely share a cast or a map.
"""

import hashlib
import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from genesis_pipeline.generation.offline.lexicon import words


@dataclass(frozen=True)
class NameStyle:
    first_starts: tuple[str, ...]
    first_ends: tuple[str, ...]
    last_starts: tuple[str, ...]
    last_ends: tuple[str, ...]
    place_starts: tuple[str, ...]
    place_ends: tuple[str, ...]


NAME_STYLES: dict[str, NameStyle] = {
    "old": NameStyle(
        first_starts=words("Ael Bran Cor Dar El Fen Gar Is Kael Lor Mir Ny Or Rhi Sel Tam Wyn"),
        first_ends=words("a wen ric is an ora eth in ys iel ra do"),
        last_starts=words("Ash Black Dun Glen Hal Mor Raven Storm Thorn Vell Crow Stone"),
        last_ends=words("more wood hollow ford crest ward by mere wyn holt"),
        place_starts=words("Salt Grim Wyn Ash Cold Har Kes Mar Thorn Vel Black Ember"),
        place_ends=words("mere wick haven moor fall reach ford gate hold stead"),
    ),
    "clipped": NameStyle(
        first_starts=words("Ka Ri Jo Ta Ze Ny Ve Mi So Ar Ix Lu Da Re Os"),
        first_ends=words("ren ra lix to va dan mir sa ko n ya"),
        last_starts=words("Okon Vasq Hale Idr Tanak Mbe Kov Rey Sato Ade Lind Ferr"),
        last_ends=words("o ez ris ani ov ara en ssi ke"),
        place_starts=words("Kepl Tych Vant Orin Halc Nex Cygn Veg Tess Hadl Kor Ar"),
        place_ends=words("a is on ex ia um ar o"),
    ),
    "plain": NameStyle(
        first_starts=words("Al Ben Cla Dan El Flo Geor Han Iri Jul Lu Mar Nor Oli Ro Sa Vi"),
        first_ends=words("ice ny ra iel a an ver en ine ton ie lo"),
        last_starts=words("Ash Brad Cart Dal Ell Fair Grey Hart Lang Mer Pem Shaw Wick Hal"),
        last_ends=words("ford ley wood ton well by more er son ham"),
        place_starts=words("Ash Brook Clay Elm Fern Hay Kings Marsh Oak Red Stan Wil"),
        place_ends=words("ford bury ton ley field wick dale haven mouth stead"),
    ),
    "archaic": NameStyle(
        first_starts=words("Ab Ag Ed Eze Hes Jed Mab Ob Pru Sil Tab Cor Ver Ros Thom"),
        first_ends=words("igail atha ith ter ias ther ence ina el ena ard"),
        last_starts=words("Black Crane Gall Hallow Mor Pell Ravel Sorr Vane Whit Grave Ash"),
        last_ends=words("wood by ton croft ham ley well more"),
        place_starts=words("Grey Wither Hollow Black Raven Mourn Cold Bleak Fen Gallow"),
        place_ends=words("mere moor wick ham fold stead dale"),
    ),
}


class NameForge:
    """Makes names that are unique (case-insensitive) among everything it has seen.

    It also avoids reusing a word's opening letters while it can, so that a cast does not read
    as Sorrton, Sorrwood and Sorrey.
    """

    def __init__(self, rng: random.Random, style: NameStyle, taken: Iterable[str] = ()) -> None:
        self._rng = rng
        self._style = style
        self._taken: set[str] = set()
        self._openings: set[str] = set()
        for name in taken:
            self.reserve(name)

    def reserve(self, name: str) -> None:
        self._taken.add(name.lower())
        self._openings.update(_openings(name))

    def is_free(self, name: str) -> bool:
        return name.lower() not in self._taken

    def person(self) -> str:
        style = self._style
        return self._unique(
            lambda: (
                f"{self._join(style.first_starts, style.first_ends)} "
                f"{self._join(style.last_starts, style.last_ends)}"
            )
        )

    def place_stem(self) -> str:
        return self._unique(lambda: self._join(self._style.place_starts, self._style.place_ends))

    def _join(self, starts: tuple[str, ...], ends: tuple[str, ...]) -> str:
        return self._rng.choice(starts) + self._rng.choice(ends)

    def _unique(self, make: Callable[[], str]) -> str:
        for attempt in range(60):
            name = make()
            fresh_openings = attempt >= 30 or not (_openings(name) & self._openings)
            if self.is_free(name) and fresh_openings:
                self.reserve(name)
                return name
        # The syllable tables hold hundreds of combinations; a numbered name is a last resort.
        name = f"{make()} {len(self._taken) + 2}"
        self.reserve(name)
        return name


def _openings(name: str) -> set[str]:
    return {word[:4].lower() for word in name.split() if len(word) > 4}


def slug(text: str) -> str:
    """Lowercase ASCII words joined by underscores: `Salt Harbor` -> `salt_harbor`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


def entity_id(prefix: str, name: str, taken: Iterable[str] = ()) -> str:
    """A slug id such as `loc_salt_harbor` that matches the artifact id pattern and is unused."""
    body = slug(re.sub(r"^(the|a|an)\s+", "", name, flags=re.IGNORECASE))
    if not body:
        body = "x" + hashlib.sha256(name.encode()).hexdigest()[:8]
    base = f"{prefix}_{body}"[:58].rstrip("_")
    used = set(taken)
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base}_{number}"
        number += 1
    return candidate
