"""The evaluation set (see eval/README.md): every example judged right by the gates."""

import dataclasses
import json
from pathlib import Path

import pytest

from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName
from genesis_pipeline.gates.eval_set import GOOD, EvalExample, judge, load_eval_set, mutate

EVAL_SET = Path(__file__).parent / "eval"
EXAMPLES = load_eval_set(EVAL_SET)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda example: example.id)
def test_the_gates_judge_every_example_right(example: EvalExample) -> None:
    judged = judge(example)
    assert judged.right, judged.explain()


def test_the_set_is_broad_enough() -> None:
    good = [e for e in EXAMPLES if e.good]
    defects = [e for e in EXAMPLES if not e.good]
    assert len({e.premise for e in good}) >= 4
    assert {e.spec.language for e in good} >= {"en", "es"}
    assert min(len(e.spec.premise.split()) for e in good) <= 4  # a short premise too
    kinds = {e.label for e in defects}
    assert len(kinds) >= 12
    # every kind over more than one premise, and every stage with defects
    assert all(len({e.premise for e in defects if e.label == kind}) >= 2 for kind in kinds)
    assert {e.stage for e in defects} == set(Stage)
    assert {e.gate for e in defects} == set(GateName)


def test_a_defect_caught_in_another_field_is_not_caught() -> None:
    example = next(e for e in EXAMPLES if e.id == "shanghai-story-truncated-synopsis")
    assert judge(example).right
    assert not judge(dataclasses.replace(example, field="logline")).right
    assert not judge(dataclasses.replace(example, gate=GateName.CONSISTENCY)).right
    assert not judge(dataclasses.replace(example, label=GOOD)).right


def test_mutations() -> None:
    document = {"synopsis": "One. Two. Three.", "cast": [{"goal": "Win the lamp."}]}
    steps = [
        {"op": "repeat_sentence", "path": "synopsis", "index": 1, "times": 3},
        {"op": "append", "path": "cast[0].goal", "text": "ha, ", "times": 2, "separator": ""},
        {"op": "prepend", "path": "cast[0].goal", "text": "Note:"},
        {"op": "replace", "old": "lamp", "new": "map"},
        {"op": "truncate", "path": "synopsis", "after": "Two. Tw"},
    ]
    assert mutate(document, steps) == {
        "synopsis": "One. Two. Tw",
        "cast": [{"goal": "Note: Win the map.ha, ha, "}],
    }
    assert mutate({"a": "abcdef"}, [{"op": "truncate", "path": "a", "keep_chars": 2}]) == {
        "a": "ab"
    }
    assert mutate({"a": ["x"]}, [{"op": "set", "path": "a", "value": []}]) == {"a": []}


@pytest.mark.parametrize(
    "step",
    [
        {"op": "shuffle", "path": "a"},
        {"op": "replace", "old": "absent", "new": "x"},
        {"op": "truncate", "path": "a", "after": "absent"},
    ],
)
def test_a_mutation_that_cannot_apply_is_an_error(step: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        mutate({"a": "text"}, [step])


def test_a_defect_must_name_its_gate_and_field(tmp_path: Path) -> None:
    (tmp_path / "premises").mkdir()
    (tmp_path / "examples").mkdir()
    premise = json.loads((EVAL_SET / "premises" / "violin.json").read_text())
    (tmp_path / "premises" / "violin.json").write_text(json.dumps(premise))
    entry = {"id": "x", "premise": "violin", "stage": "story", "label": "truncated"}
    (tmp_path / "examples" / "bad.json").write_text(json.dumps([{**entry, "mutations": []}]))
    with pytest.raises(ValueError, match=r"bad\.json: example 'x': .*must name its gate and field"):
        load_eval_set(tmp_path)
