"""Prompt templates: each stage module holds its own; this renders them the same way.

Upstream stages are given as digests, not whole artifacts: each later stage needs the
decisions (titles, the synopsis, the ids and names it must refer to), and the bible's prompt
would not fit a small model's context if every earlier artifact were pasted in whole.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

from genesis_pipeline.domain.artifacts import (
    Artifact,
    Cast,
    Concept,
    PlotOutline,
    Story,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.generation.port import Prompt

SYSTEM = (
    "You are a senior story developer helping a novelist through the Genesis phase of a book. "
    "Be concrete: name people, places and things; tie every element to the premise and to the "
    "decisions already made. Never use placeholders. Answer with JSON only."
)


# A small model follows a few instructions and loses the thread in twenty; the next attempt's
# gates name whatever is left.
INSTRUCTIONS_SHOWN = 8


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
            parts.append(f"Decided {stage.value}:\n{digest(artifact)}")
        if previous is not None:
            parts.append(
                f"Your previous draft (JSON), to revise rather than replace:\n{_json(previous)}"
            )
        parts.append(f"Task: {self.task}")
        if instructions:
            shown = instructions[:INSTRUCTIONS_SHOWN]
            parts.append("Revision instructions (all must be satisfied):")
            parts += [f"- {line}" for line in shown]
            if len(instructions) > len(shown):
                parts.append(f"- and {len(instructions) - len(shown)} more of the same kind")
        return Prompt(system=SYSTEM, user="\n\n".join(parts), version=self.version)


def _json(artifact: Artifact) -> str:
    return json.dumps(artifact.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))


def digest(artifact: Artifact) -> str:
    """What later stages need to know of a decided artifact, in a few lines."""
    if isinstance(artifact, Concept):
        chosen = artifact.chosen
        return (
            f"Title: {chosen.title}\nHook: {chosen.hook}\nGenre: {chosen.genre}\n"
            f"Themes: {', '.join(chosen.themes)}"
        )
    if isinstance(artifact, Story):
        parts = "; ".join(part.name for part in artifact.structure)
        return (
            f"Title: {artifact.title}\nLogline: {artifact.logline}\n"
            f"Synopsis: {artifact.synopsis}\nTone: {artifact.tone}\n"
            f"Central conflict: {artifact.central_conflict}\n"
            f"Themes: {', '.join(artifact.themes)}\nParts: {parts}"
        )
    if isinstance(artifact, Worldview):
        return "\n".join(
            [
                f"Setting: {artifact.setting}",
                "Locations (id = name): "
                + "; ".join(f"{place.id} = {place.name}" for place in artifact.locations),
                "Factions (id = name): "
                + "; ".join(f"{faction.id} = {faction.name}" for faction in artifact.factions),
                "Rules: " + "; ".join(rule.name for rule in artifact.rules),
            ]
        )
    if isinstance(artifact, Cast):
        return "Characters (id = name, role): " + "; ".join(
            f"{person.id} = {person.name}, {person.role}" for person in artifact.characters
        )
    if isinstance(artifact, PlotOutline):
        return "\n".join(f"Act {act.number}: {act.title} - {act.summary}" for act in artifact.acts)
    return _json(artifact)
