"""What the writers take from the premise: its keywords and its genre."""

import hashlib
from dataclasses import dataclass

from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.gates.text import placeholder_markers, premise_keywords
from genesis_pipeline.generation.offline.genres import GENRE_ALIASES, LEXICONS
from genesis_pipeline.generation.offline.lexicon import GenreLexicon, words

# Keywords are woven in as "the <keyword>", which reads badly for verbs and adjectives; these
# endings and words mark keywords that go last in the rotation rather than first.
KEYWORDS_NEEDED = 3
_NOT_NOUN_ENDINGS = ("ed", "ing", "ly", "ous", "ful", "ive", "est", "ible", "able", "bound")
_NOT_NOUNS = frozenset(
    words(
        "discover discovers find finds learn learns realize realizes realise realises "
        "return returns become becomes begin begins decide decides tries want wants need "
        "needs fall falls take takes keep keeps know knows live lives wake wakes leave "
        "leaves young ancient strange small final last first dark lost mysterious hidden "
        "forced secretly suddenly investigate investigates inherit inherits hunt hunts "
        "search searches fight fights travel travels hide hides compete competes smuggle "
        "smuggles everyone everything someone anyone nobody three four five seven"
    )
)


@dataclass(frozen=True)
class PremiseFacts:
    text: str
    keywords: tuple[str, ...]  # as the quality gate counts them, in premise order
    subjects: tuple[str, ...]  # keywords in the order the writers weave them in
    genre_key: str
    genre_label: str
    lexicon: GenreLexicon


def read_premise(spec: SessionSpec) -> PremiseFacts:
    keywords = tuple(premise_keywords(spec.premise))
    genre_key = _genre_from_spec(spec.genre) or _genre_from_words(keywords, spec.premise)
    lexicon = LEXICONS[genre_key]
    label = spec.genre.strip() if spec.genre and len(spec.genre.strip()) >= 2 else lexicon.label
    return PremiseFacts(
        text=spec.premise,
        keywords=keywords,
        subjects=_subjects(keywords, lexicon),
        genre_key=genre_key,
        genre_label=label[:120],
        lexicon=lexicon,
    )


def premise_sentence(facts: PremiseFacts) -> str:
    """The premise restated as one sentence. Templates that weave in one premise word per slot
    drift off the premise; the quality gate asks for its names, numbers and word pairs in the
    fields that tell the story, so the fields that do (rationale, synopsis, setting, blurb)
    carry the premise itself."""
    return f"The premise: {facts.text.strip().rstrip('.!?…')}."


def _subjects(keywords: tuple[str, ...], lexicon: GenreLexicon) -> tuple[str, ...]:
    usable = [word for word in keywords if not placeholder_markers(word)]
    nouns = [w for w in usable if w not in _NOT_NOUNS and not w.endswith(_NOT_NOUN_ENDINGS)]
    # Verbs and adjectives only join the rotation when the nouns alone cannot reach the
    # number of premise keywords the relevance rule asks for.
    others = [word for word in usable if word not in nouns][: max(0, KEYWORDS_NEEDED - len(nouns))]
    subjects = nouns + others
    # A premise with no usable keyword still needs something concrete to write about.
    return tuple(subjects) or tuple(noun.lower() for noun in lexicon.title_nouns)


def _genre_from_spec(genre: str | None) -> str | None:
    if not genre:
        return None
    for word in genre.lower().replace("-", " ").split():
        for alias, key in GENRE_ALIASES.items():
            if word.startswith(alias):
                return key
    return None


def _genre_from_words(keywords: tuple[str, ...], premise: str) -> str:
    scores = {
        key: sum(1 for word in keywords for cue in lexicon.cues if word.startswith(cue))
        for key, lexicon in LEXICONS.items()
    }
    best = max(scores.values())
    if best > 0:
        return next(key for key, score in scores.items() if score == best)
    # No cue at all: any genre fits, so pick one that is stable for this premise.
    digest = hashlib.sha256(premise.encode()).digest()
    return list(LEXICONS)[digest[0] % len(LEXICONS)]
