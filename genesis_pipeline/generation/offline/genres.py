"""Every genre the offline generator knows, and the genre names a writer may type."""

from genesis_pipeline.generation.offline.lexicon import GenreLexicon
from genesis_pipeline.generation.offline.realist_genres import REALIST_GENRES
from genesis_pipeline.generation.offline.speculative_genres import SPECULATIVE_GENRES

LEXICONS: dict[str, GenreLexicon] = {**SPECULATIVE_GENRES, **REALIST_GENRES}

# Genre names a writer may type, mapped to the lexicon that serves them.
GENRE_ALIASES: dict[str, str] = {
    "fantas": "fantasy",
    "sci": "science fiction",
    "sf": "science fiction",
    "space": "science fiction",
    "cyberpunk": "science fiction",
    "myster": "mystery",
    "crime": "mystery",
    "detective": "mystery",
    "noir": "mystery",
    "roman": "romance",
    "love": "romance",
    "thrill": "thriller",
    "suspense": "thriller",
    "spy": "thriller",
    "horror": "horror",
    "gothic": "horror",
    "ghost": "horror",
    "literary": "literary",
    "drama": "literary",
    "historical": "literary",
}
