"""Prompt templates: each stage module holds its own; this renders them the same way."""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.port import Prompt

SYSTEM = (
    "You are a senior story developer helping a novelist through the Genesis phase of a book. "
    "Be concrete: name people, places and things; tie every element to the premise and to the "
    "decisions already made. Never use placeholders. Answer with JSON only."
)


@dataclass(frozen=True)
class StagePrompt:
    """A stage's prompt. Bump `version` whenever `task` changes: it is the asset's code_version,
    so Dagster marks the stage's materializations stale when the prompt changes."""

    version: str
    task: str

    def render(
        self,
        spec: SessionSpec,
        upstream: Mapping[Stage, Artifact],
        instructions: tuple[str, ...],
        previous: Artifact | None,
    ) -> Prompt:
        parts = [f"Premise: {spec.premise}"]
        parts += [
            f"{label}: {value}"
            for label, value in (
                ("Genre", spec.genre),
                ("Audience", spec.audience),
                ("Language", spec.language),
            )
            if value
        ]
        for stage, artifact in upstream.items():
            parts.append(f"Decided {stage.value} (JSON):\n{_json(artifact)}")
        if previous is not None:
            parts.append(
                f"Your previous draft (JSON), to revise rather than replace:\n{_json(previous)}"
            )
        parts.append(f"Task: {self.task}")
        if instructions:
            parts.append("Revision instructions (all must be satisfied):")
            parts += [f"- {line}" for line in instructions]
        return Prompt(system=SYSTEM, user="\n\n".join(parts), version=self.version)


def _json(artifact: Artifact) -> str:
    return json.dumps(artifact.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
