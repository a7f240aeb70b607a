"""The schemas sent to a model bound every string and list, so constrained decoding finishes."""

from typing import Any

import pytest

from genesis_pipeline.domain.artifacts import GENERATED_MODELS, Artifact
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.plot_by_act import ActChapters, PlotPlan
from genesis_pipeline.generation.schemas import answer_token_allowance, bounded_schema


def _unbounded(node: Any, path: str = "") -> list[str]:
    if isinstance(node, list):
        return [p for i, item in enumerate(node) for p in _unbounded(item, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    found = []
    if node.get("type") == "array" and "maxItems" not in node:
        found.append(path)
    if node.get("type") == "string" and "maxLength" not in node and "enum" not in node:
        found.append(path)
    return found + [p for key, child in node.items() for p in _unbounded(child, f"{path}/{key}")]


MODELS: list[type[Artifact]] = [*GENERATED_MODELS.values(), PlotPlan, ActChapters]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_string_and_list_is_bounded(model: type[Artifact]) -> None:
    assert _unbounded(bounded_schema(model.model_json_schema())) == []


def test_bounds_follow_what_the_gates_ask_for() -> None:
    schema = bounded_schema(GENERATED_MODELS[Stage.WORLDVIEW].model_json_schema())
    locations = schema["properties"]["locations"]
    assert (locations["minItems"], locations["maxItems"]) == (3, 3)
    assert schema["properties"]["setting"]["maxLength"] == 700
    assert schema["$defs"]["Location"]["properties"]["name"]["maxLength"] == 80


def test_the_model_schema_itself_is_left_alone() -> None:
    original = GENERATED_MODELS[Stage.STORY].model_json_schema()
    bounded_schema(original)
    assert (
        "maxItems" not in original["properties"]["themes"]
        or original["properties"]["themes"]["maxItems"] == 6
    )


def test_the_token_allowance_grows_with_the_bounds() -> None:
    concept = answer_token_allowance(
        bounded_schema(GENERATED_MODELS[Stage.CONCEPT].model_json_schema())
    )
    cast = answer_token_allowance(
        bounded_schema(GENERATED_MODELS[Stage.CHARACTERS].model_json_schema())
    )
    assert 200 < concept < cast < 8192
