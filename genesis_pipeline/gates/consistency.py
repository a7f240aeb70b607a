"""The consistency gate: does a draft agree with itself and with the stages it builds on?"""

from collections.abc import Mapping

from genesis_pipeline.domain.artifacts import (
    Artifact,
    BibleNarrative,
    Cast,
    Concept,
    PlotOutline,
    Story,
    Worldview,
)
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict
from genesis_pipeline.gates.consistency_rules import (
    RuleResults,
    bible_rules,
    characters_rules,
    concept_rules,
    plot_rules,
    story_rules,
    worldview_rules,
)
from genesis_pipeline.gates.inputs import check_artifact


def _rules(
    artifact: Artifact,
    upstream: Mapping[Stage, Artifact],
    passed_versions: Mapping[Stage, int],
    spec: SessionSpec | None,
) -> RuleResults:
    if isinstance(artifact, Concept):
        return concept_rules(artifact)
    if isinstance(artifact, Story):
        return story_rules(artifact, upstream)
    if isinstance(artifact, Worldview):
        return worldview_rules(artifact)
    if isinstance(artifact, Cast):
        return characters_rules(artifact, upstream, spec)
    if isinstance(artifact, PlotOutline):
        return plot_rules(artifact, upstream)
    if isinstance(artifact, BibleNarrative):
        return bible_rules(artifact, upstream, passed_versions, spec)
    raise TypeError(f"no consistency rules for {type(artifact).__name__}")


def consistency_gate(
    stage: Stage,
    artifact: Artifact,
    *,
    upstream: Mapping[Stage, Artifact],
    passed_versions: Mapping[Stage, int],
    spec: SessionSpec | None = None,
) -> GateVerdict:
    """Check a draft against itself and its upstream; it passes only with no findings.

    `spec` lets the name-drift rules leave the premise's own words alone and read names in the
    session's language; without it they read English and know only the artifacts.
    """
    check_artifact(stage, artifact)
    results = _rules(artifact, upstream, passed_versions, spec)
    # A missing upstream artifact needed by several rules is one problem, reported once.
    findings = tuple(dict.fromkeys(finding for result in results for finding in result))
    score = round(max(0.0, 1 - len(findings) / len(results)), 3)
    return GateVerdict(
        gate=GateName.CONSISTENCY,
        stage=stage,
        passed=not findings,
        score=score,
        findings=findings,
    )
