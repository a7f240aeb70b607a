"""The gates' evaluation set: labelled drafts, and whether the gates judge each one right.

The data lives in `genesis_pipeline_tests/unit/gates/eval/` (its README describes the format):
premise files hold a good artifact for every stage of one premise, example files hold
defective drafts, each made by a named mutation of a good artifact or given whole. This
module reads them (the only I/O among the gates; the gates themselves stay pure) so that the
test and `benchmarks/gate_eval.py` share one reading of the set.

An example is judged right when a good draft passes both gates, or when a defective draft
fails the gate its example names, with a finding that names the field it names.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genesis_pipeline.domain.artifacts import GENERATED_MODELS, Artifact
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict
from genesis_pipeline.gates.evaluate import evaluate_gates

GOOD = "good"
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class EvalExample:
    id: str
    premise: str
    stage: Stage
    label: str  # GOOD or the defect kind
    spec: SessionSpec
    artifact: Artifact
    upstream: Mapping[Stage, Artifact]
    gate: GateName | None = None  # for a defect: the gate that must catch it
    field: str | None = None  # for a defect: the field a finding of that gate must name

    @property
    def good(self) -> bool:
        return self.label == GOOD


@dataclass(frozen=True)
class Judged:
    example: EvalExample
    verdicts: tuple[GateVerdict, GateVerdict]

    @property
    def right(self) -> bool:
        """A good draft passed both gates; a defect failed its gate with its field named."""
        if self.example.good:
            return all(verdict.passed for verdict in self.verdicts)
        verdict = next(v for v in self.verdicts if v.gate is self.example.gate)
        named = any(finding.field == self.example.field for finding in verdict.findings)
        return not verdict.passed and named

    def explain(self) -> str:
        """The findings behind a wrong judgement, one line each."""
        lines = [
            f"{verdict.gate.value} {'passed' if verdict.passed else 'failed'} {verdict.score}: "
            + "; ".join(f"{f.field}: {f.problem}" for f in verdict.findings)
            for verdict in self.verdicts
        ]
        return "\n".join(lines)


# --- mutations ------------------------------------------------------------------------------


def _steps(path: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _PATH_PART.findall(path)]


def _parent(document: Any, path: str) -> tuple[Any, str | int]:
    *head, last = _steps(path)
    for step in head:
        document = document[step]
    return document, last


def _replace(value: Any, old: str, new: str) -> Any:
    """`value` with `old` replaced in every string; a mutation that changes nothing is a bug."""
    if json.dumps(value, ensure_ascii=False).count(old) == 0:
        raise ValueError(f"{old!r} does not occur")
    return _strings(value, old, new)


def _strings(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_strings(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _strings(item, old, new) for key, item in value.items()}
    return value


def _repeat_sentence(text: str, index: int, times: int) -> str:
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    sentences[index : index + 1] = [sentences[index]] * times
    return " ".join(sentences)


def _truncate(text: str, step: Mapping[str, Any]) -> str:
    if "after" in step:
        if step["after"] not in text:
            raise ValueError(f"{step['after']!r} does not occur")
        return text[: text.index(step["after"]) + len(step["after"])]
    return text[: int(step["keep_chars"])]


def mutate(document: dict[str, Any], steps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Apply the named mutations of an example to a JSON artifact (see the README)."""
    for step in steps:
        op = step["op"]
        if op == "replace" and "path" not in step:
            document = _replace(document, step["old"], step["new"])
            continue
        parent, key = _parent(document, step["path"])
        value = parent[key]
        if op == "set":
            parent[key] = step["value"]
        elif op == "append":
            parent[key] = value + step.get("separator", " ") + step["text"] * step.get("times", 1)
        elif op == "prepend":
            parent[key] = step["text"] + step.get("separator", " ") + value
        elif op == "replace":
            parent[key] = _replace(value, step["old"], step["new"])
        elif op == "truncate":
            parent[key] = _truncate(value, step)
        elif op == "repeat_sentence":
            parent[key] = _repeat_sentence(value, step["index"], step["times"])
        else:
            raise ValueError(f"unknown mutation {op!r}")
    return document


# --- reading the set ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Premise:
    spec: SessionSpec
    artifacts: dict[Stage, dict[str, Any]]

    def artifact(self, stage: Stage, document: Mapping[str, Any] | None = None) -> Artifact:
        source = self.artifacts[stage] if document is None else document
        return GENERATED_MODELS[stage].model_validate(source)

    def upstream(
        self, stage: Stage, mutations: Mapping[str, list[Mapping[str, Any]]] | None = None
    ) -> dict[Stage, Artifact]:
        """The good upstream of `stage`, with any upstream stage mutated as the example says."""
        changed = {Stage(source): steps for source, steps in (mutations or {}).items()}
        return {
            source: self.artifact(source, self.mutated(source, changed.get(source, [])))
            for source in STAGE_INPUTS[stage]
        }

    def mutated(self, stage: Stage, steps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        """A deep copy of the stage's good artifact with the mutations applied."""
        return mutate(json.loads(json.dumps(self.artifacts[stage])), steps)


def _read_premises(directory: Path) -> dict[str, _Premise]:
    premises: dict[str, _Premise] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        artifacts = {Stage(stage): value for stage, value in data["artifacts"].items()}
        premises[data["id"]] = _Premise(SessionSpec.model_validate(data["spec"]), artifacts)
    return premises


def _good_examples(premises: Mapping[str, _Premise]) -> list[EvalExample]:
    return [
        EvalExample(
            id=f"{name}-{stage.value}",
            premise=name,
            stage=stage,
            label=GOOD,
            spec=premise.spec,
            artifact=premise.artifact(stage),
            upstream=premise.upstream(stage),
        )
        for name, premise in premises.items()
        for stage in STAGE_ORDER
        if stage in premise.artifacts
    ]


def _example(entry: Mapping[str, Any], premises: Mapping[str, _Premise]) -> EvalExample:
    premise = premises[entry["premise"]]
    stage = Stage(entry["stage"])
    if "artifact" in entry:
        document = entry["artifact"]
    else:
        document = premise.mutated(stage, entry["mutations"])
    label = entry["label"]
    if label != GOOD and ("gate" not in entry or "field" not in entry):
        raise ValueError(f"defect example {entry['id']!r} must name its gate and field")
    return EvalExample(
        id=entry["id"],
        premise=entry["premise"],
        stage=stage,
        label=label,
        spec=premise.spec,
        artifact=premise.artifact(stage, document),
        upstream=premise.upstream(stage, entry.get("upstream_mutations")),
        gate=GateName(entry["gate"]) if label != GOOD else None,
        field=entry.get("field"),
    )


def load_eval_set(directory: Path) -> list[EvalExample]:
    """Every example of the set: the premises' good artifacts, then the example files'."""
    premises = _read_premises(directory / "premises")
    examples = _good_examples(premises)
    for path in sorted((directory / "examples").glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            try:
                examples.append(_example(entry, premises))
            except (KeyError, ValueError, IndexError) as error:
                raise ValueError(f"{path.name}: example {entry.get('id')!r}: {error}") from error
    ids = [example.id for example in examples]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate example ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return examples


def judge(example: EvalExample) -> Judged:
    """Run both gates over one example, as the pipeline would."""
    verdicts = evaluate_gates(
        example.stage,
        example.artifact,
        spec=example.spec,
        upstream=example.upstream,
        passed_versions={},
    )
    return Judged(example, verdicts)
