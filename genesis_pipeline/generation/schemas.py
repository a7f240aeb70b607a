"""The JSON schema a model is asked to fill: the artifact's own, with every string and list bounded.

Constrained decoding (llama.cpp's grammars, vLLM's guided decoding) guarantees valid JSON only
if generation finishes, so nothing may be unbounded: a small model that starts a list of
locations may never stop. Bounds follow what the gates ask for (gates/text.py's field kinds
and the rubric's minimum counts), with upper limits that keep a stage's answer within its
token allowance.
"""

import copy
import math
from typing import Any

from genesis_pipeline.gates.text import FIELD_KINDS, FieldKind

# Field name → (minItems, maxItems) wherever the name appears.
ITEM_BOUNDS: dict[str, tuple[int, int]] = {
    "candidates": (3, 3),
    "themes": (2, 4),
    "structure": (3, 4),
    "rules": (2, 2),
    "locations": (3, 3),
    "factions": (2, 2),
    "history": (2, 2),
    "characters": (4, 4),
    "relationships": (0, 1),
    "acts": (3, 3),
    "chapters": (2, 2),
    "beats": (2, 2),
    "character_ids": (1, 3),
    "glossary": (3, 4),
}
# Integers the model chooses: `selected` points into the 3 candidates.
INTEGER_BOUNDS: dict[str, tuple[int, int]] = {"selected": (0, 2), "number": (1, 30)}
# The judge's scores, as the few values a rubric tells apart (a grammar reads no bounds).
SCORED_FIELDS = frozenset({"premise_fit", "upstream_fit"})
SCORE_CHOICES = (0.0, 0.25, 0.5, 0.75, 1.0)
# Long enough for what the quality gate's length bounds ask, short enough for a CPU.
MAX_CHARACTERS: dict[FieldKind, int] = {
    FieldKind.SHORT: 80,
    FieldKind.DESCRIPTIVE: 240,
    FieldKind.LONG: 700,
}
# Text fields of models that are not artifacts (the judge's answer).
OTHER_TEXT_CHARACTERS: dict[str, int] = {"reasons": 200}
# Slugs (`EntityId`) and anything else left without a bound.
DEFAULT_STRING_CHARACTERS = 64
# A token is ~4 characters of English; JSON punctuation and non-English text are denser.
CHARACTERS_PER_TOKEN = 2.5


def bounded_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a pydantic JSON schema with maxLength on every named text field and
    minItems/maxItems on every named list."""
    bounded = copy.deepcopy(schema)
    for node in [bounded, *bounded.get("$defs", {}).values()]:
        for name, prop in node.get("properties", {}).items():
            _bound_property(name, prop)
    return bounded


def _bound_property(name: str, prop: dict[str, Any]) -> None:
    for variant in [prop, *prop.get("anyOf", [])]:
        if variant.get("type") == "array":
            low, high = ITEM_BOUNDS.get(name, (variant.get("minItems", 0), 4))
            variant["minItems"], variant["maxItems"] = low, high
            items = variant.get("items", {})
            if items.get("type") == "string":
                _bound_string(name, items)
        elif variant.get("type") == "string":
            _bound_string(name, variant)
        elif variant.get("type") == "number" and name in SCORED_FIELDS:
            variant["enum"] = list(SCORE_CHOICES)
        elif variant.get("type") == "integer" and name in INTEGER_BOUNDS:
            low, high = INTEGER_BOUNDS[name]
            # As an enum too: llama.cpp's grammars ignore minimum and maximum.
            variant["minimum"], variant["maximum"] = low, high
            variant["enum"] = list(range(low, high + 1))


def _bound_string(name: str, node: dict[str, Any]) -> None:
    if name in FIELD_KINDS:
        node["maxLength"] = MAX_CHARACTERS[FIELD_KINDS[name]]
    elif name in OTHER_TEXT_CHARACTERS:
        node["maxLength"] = OTHER_TEXT_CHARACTERS[name]
    else:  # ids: their pattern bounds them already, but not every grammar converter reads it
        node.setdefault("maxLength", DEFAULT_STRING_CHARACTERS)


def answer_token_allowance(schema: dict[str, Any]) -> int:
    """Tokens that the longest answer allowed by a bounded schema can take."""
    definitions = schema.get("$defs", {})
    return math.ceil(_characters(schema, definitions) / CHARACTERS_PER_TOKEN)


def _characters(node: dict[str, Any], definitions: dict[str, Any]) -> int:
    if "$ref" in node:
        return _characters(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    if "anyOf" in node:
        return max(_characters(variant, definitions) for variant in node["anyOf"])
    kind = node.get("type")
    if kind == "object":
        return 2 + sum(
            len(name) + 4 + _characters(prop, definitions)
            for name, prop in node.get("properties", {}).items()
        )
    if kind == "array":
        return 2 + node.get("maxItems", 4) * (1 + _characters(node.get("items", {}), definitions))
    if kind == "string":
        return 2 + node.get("maxLength", DEFAULT_STRING_CHARACTERS)
    if "enum" in node:
        return 2 + max(len(str(value)) for value in node["enum"])
    return 12  # numbers, booleans, null


def schema_outline(schema: dict[str, Any]) -> str:
    """The fields of a bounded schema in one line, e.g.
    `title (text); themes (2-4 texts); structure (3-5 of {name (text); summary (text)})`."""
    return _outline(schema, schema.get("$defs", {}))


def _outline(node: dict[str, Any], definitions: dict[str, Any]) -> str:
    if "$ref" in node:
        return _outline(definitions[node["$ref"].rsplit("/", 1)[-1]], definitions)
    if "anyOf" in node:
        kinds = [v for v in node["anyOf"] if v.get("type") != "null"]
        return _outline(kinds[0], definitions) + " or null" if kinds else "null"
    kind = node.get("type")
    if kind == "object":
        fields = "; ".join(
            f"{name} ({_outline(prop, definitions)})"
            for name, prop in node.get("properties", {}).items()
        )
        return f"{{{fields}}}"
    if kind == "array":
        low, high = node.get("minItems", 0), node.get("maxItems")
        count = str(low) if low == high else f"{low}-{high}" if high else f"{low} or more"
        return f"{count} of {_outline(node.get('items', {}), definitions)}"
    if "enum" in node:
        return " | ".join(str(value) for value in node["enum"])
    if kind == "string" and "pattern" in node:
        return "id: lowercase_with_underscores"
    if kind == "string":
        return f"text, at most {node['maxLength']} characters" if "maxLength" in node else "text"
    return str(kind or "value")
