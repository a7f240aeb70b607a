"""Detectors for what real models get wrong inside one prose field.

Each detector looks at one string and says what is wrong with it (None or an empty list when
nothing is). The quality rubric decides what a defect costs; see `quality_criteria`. All of
them are hard failures there: a truncated, looping, marked-up or chatty field is broken text,
not weaker prose, and a revision instruction fixes it exactly.

Decisions worth knowing:
- Truncation: a prose field must end like a sentence (`.`, `!`, `?`, `…`, their CJK forms,
  optionally followed by a closing quote or bracket). A field that ends mid-word ends without
  one, so this one rule catches both.
- Looping: a sentence of four words or more twice in one field, any sentence three times,
  a phrase of up to six words three times in a row (a single word four times), or a field
  where over 30 % of the word trigrams are repeats.
- Markup: code fences, JSON objects or quoted keys, Markdown headings, bold labels
  ("**Synopsis:**"), lists of two or more bulleted or numbered lines, and HTML tags are
  flagged: they are structure leaking into prose. Bold or italic emphasis inside a sentence is
  left alone: the bible's Markdown export renders it, and a writer may want it.
- Boilerplate: the assistant talking to the user instead of writing the field, at the start
  ("Sure!", "Here is the JSON…", "Note: …"), or anywhere ("As an AI language model",
  "I hope this helps", a refusal).
"""

import re
from collections import Counter

from genesis_pipeline.gates.text import normalize, split_sentences

# --- truncation ---------------------------------------------------------------------------

_TERMINAL = ".!?…。！？"
_CLOSERS = "\"'”’»)]」』"
_TAIL_SHOWN = 40


def truncation(text: str) -> str | None:
    """Why the text looks cut off, or None when it ends like a sentence."""
    stripped = text.rstrip()
    body = stripped.rstrip(_CLOSERS)
    if body and body[-1] in _TERMINAL:
        return None
    tail = stripped[-_TAIL_SHOWN:]
    return f"cut off mid-sentence: ends with {'…' if len(stripped) > _TAIL_SHOWN else ''}{tail!r}"


# --- looping ------------------------------------------------------------------------------

# Words for n-grams; ideographs and kana count one each, as they are written without spaces.
_TOKEN_PATTERN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]|[^\W_]+")
MIN_WORDS_FOR_TWICE = 4
SENTENCE_LOOP_COUNT = 3
MAX_LOOP_PHRASE = 6
PHRASE_LOOP_COUNT = 3
WORD_LOOP_COUNT = 4
TRIGRAM_REPEAT_RATIO = 0.3
MIN_TOKENS_FOR_RATIO = 20


def tokens(text: str) -> list[str]:
    """Lowercase words (single ideographs in CJK text), punctuation dropped."""
    return _TOKEN_PATTERN.findall(text.lower())


def _repeated_sentence(text: str) -> str | None:
    counts = Counter(normalize(sentence) for sentence in split_sentences(text))
    for sentence, count in counts.items():
        enough_words = len(tokens(sentence)) >= MIN_WORDS_FOR_TWICE
        if count >= SENTENCE_LOOP_COUNT or (count >= 2 and enough_words):
            return f"the same sentence {count} times: {sentence!r}"
    return None


def _consecutive_loop(words: list[str]) -> str | None:
    for size in range(1, MAX_LOOP_PHRASE + 1):
        needed = WORD_LOOP_COUNT if size == 1 else PHRASE_LOOP_COUNT
        for start in range(len(words) - size * needed + 1):
            phrase = words[start : start + size]
            if all(
                words[start + k * size : start + (k + 1) * size] == phrase for k in range(needed)
            ):
                return f"the phrase {' '.join(phrase)!r} loops {needed} times or more in a row"
    return None


def trigram_repeat_ratio(words: list[str]) -> float:
    """The share of word trigrams that repeat an earlier one (0 for fresh prose)."""
    trigrams = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    if not trigrams:
        return 0.0
    return 1 - len(set(trigrams)) / len(trigrams)


def looping(text: str) -> str | None:
    """Why the text repeats itself like a model stuck in a loop, or None."""
    words = tokens(text)
    problem = _repeated_sentence(text) or _consecutive_loop(words)
    if problem is None and len(words) >= MIN_TOKENS_FOR_RATIO:
        ratio = trigram_repeat_ratio(words)
        if ratio > TRIGRAM_REPEAT_RATIO:
            problem = f"{ratio:.0%} of its word sequences are repeats"
    return problem


# --- markup -------------------------------------------------------------------------------

MARKUP_PATTERNS: dict[str, re.Pattern[str]] = {
    "code fence": re.compile(r"```|^\s*~~~", re.MULTILINE),
    "JSON": re.compile(
        r'[{\[]\s*"[^"\n]{1,60}"\s*:'  # an object or a list of objects
        r'|"[\w -]{1,40}"\s*:\s*["\[{\d]'  # a quoted key with its value
        r"|^\s*[{\[]\s*$"  # a bracket alone on its line
        r'|^\s*\[\s*"'  # a list of strings
        # fragments: a quote against a brace (`"]}`, `{ "`) or a separator between quotes
        r'|"[{}\[\]]|[{}\[\]]\s*"|"[,:]"',
        re.MULTILINE,
    ),
    "Markdown heading": re.compile(r"^\s*#{1,6}\s+\S", re.MULTILINE),
    "Markdown bold label": re.compile(
        r"\*\*[^*\n]{1,40}:\s*\*\*|\*\*[^*\n]{1,40}\*\*\s*:|^\s*\*\*[^*\n]{1,60}\*\*\s*$",
        re.MULTILINE,
    ),
    "HTML tag": re.compile(r"</?(?:b|i|em|strong|p|br|div|span|ul|ol|li|h[1-6])\b[^>]*>", re.I),
}
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+\S", re.MULTILINE)
MIN_LIST_LINES = 2


def markup(text: str) -> list[str]:
    """The kinds of markup leaked into the text, in the order of `MARKUP_PATTERNS`."""
    found = [kind for kind, pattern in MARKUP_PATTERNS.items() if pattern.search(text)]
    if len(_LIST_LINE.findall(text)) >= MIN_LIST_LINES:
        found.append("Markdown list")
    return found


# --- boilerplate --------------------------------------------------------------------------

_OPENING = re.compile(
    r"""^\W*(?:
        (?:sure|certainly|of\ course|absolutely|okay|alright|claro|por\ supuesto|bien\ sûr
          |volontiers|gerne|natürlich|certo)\b\s*[!,.:]
      | (?:aquí\ (?:tienes|está|están|va)|voici|hier\ (?:ist|sind))\b
      | (?:here\ is|here's|here\ are|below\ is|below\ are|the\ following\ is)\b
        [^.!?\n]{0,60}?(?::|\b(?:json|revised|updated|requested|rewritten|new|draft|version|
        response|answer|output|story|synopsis|logline|concept|outline|world|worldview|cast|
        characters?|bible|blurb|summary|description|setting)\b)
      | (?:please\ )?note\s*:
      | (?:i\ have|i've|i\ will|i'll|let\ me)\s+(?:now\s+)?
        (?:revised|rewritten|updated|written|created|write|rewrite|revise|provide|generate)\b
      | as\ (?:you\ )?requested\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_ANYWHERE = re.compile(
    r"""\bas\ an\ ai\b
      | \bas\ a\ (?:large\ )?language\ model\b
      | \bi(?:'m|\ am)\ (?:just\ )?an\ ai\b
      | \bi\ hope\ (?:this|that|it)\ helps\b
      | \blet\ me\ know\ if\b
      | \bfeel\ free\ to\ (?:ask|adjust|modify|change|let|reach)\b
      | \bhappy\ writing\b
      | \bis\ there\ anything\ else\b
      | \bi\ (?:cannot|can't|can\ not|am\ unable\ to|'m\ unable\ to)\ (?:help|assist|provide|
          create|write|generate|fulfil|fulfill|comply|complete)\b
      | \bi'm\ sorry,?\ but\b
      | \bi\ apologi[sz]e\b
      | \b(?:in|as)\ json\b | \bjson\ (?:object|format|output|response|schema)\b
      | ^\s*\(?(?:please\ )?note\s*:
    """,
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)
_QUOTE_LENGTH = 50


def boilerplate(text: str) -> list[str]:
    """The assistant's own words found in the text (quoted as found), in order."""
    matches = [_OPENING.search(text), *_ANYWHERE.finditer(text)]
    found = [match.group(0) for match in matches if match is not None]
    return list(dict.fromkeys(phrase.strip()[:_QUOTE_LENGTH] for phrase in found))
