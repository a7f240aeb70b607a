"""Shared calls for the quality tests: run the gate or one criterion on a sample."""

from genesis_pipeline.domain.artifacts import Artifact, Story
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateVerdict
from genesis_pipeline.gates.quality import DEFAULT_QUALITY_THRESHOLD, quality_criteria, quality_gate
from genesis_pipeline.gates.quality_criteria import CriterionResult
from genesis_pipeline_tests.unit.gates import samples


def judge(
    stage: Stage,
    artifact: Artifact,
    *,
    premise: str = samples.PREMISE,
    upstream: dict[Stage, Artifact] | None = None,
    threshold: float = DEFAULT_QUALITY_THRESHOLD,
) -> GateVerdict:
    return quality_gate(
        stage,
        artifact,
        spec=SessionSpec(premise=premise),
        upstream=samples.upstream(stage) if upstream is None else upstream,
        threshold=threshold,
    )


def criterion(
    stage: Stage, artifact: Artifact, name: str, *, premise: str = samples.PREMISE
) -> CriterionResult:
    spec = SessionSpec(premise=premise)
    results = quality_criteria(stage, artifact, spec=spec, upstream=samples.upstream(stage))
    return next(result for result in results if result.name == name)


def fields(verdict: GateVerdict) -> list[str]:
    return [finding.field for finding in verdict.findings]


def story_off_concept() -> Story:
    """A story that mentions neither the chosen title nor any chosen theme."""
    story = samples.story()
    story.title = "Green Light"
    story.themes = ["homecoming", "debt"]
    story.structure[0].summary = "The Saltmere lamp answers a ghost ship and Ada Venn starts a log."
    return story
