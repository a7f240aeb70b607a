"""The quality gate: a weighted rubric over one draft, with broken text as a hard stop."""

from collections.abc import Mapping

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict, RelevanceJudgement
from genesis_pipeline.gates.inputs import check_artifact
from genesis_pipeline.gates.quality_criteria import (
    CriterionResult,
    completeness,
    length,
    relevance,
    repetition,
    specificity,
)
from genesis_pipeline.gates.text import premise_keywords, text_fields
from genesis_pipeline.gates.text_criteria import text_criteria

DEFAULT_QUALITY_THRESHOLD = 0.75


def quality_criteria(
    stage: Stage,
    artifact: Artifact,
    *,
    spec: SessionSpec,
    upstream: Mapping[Stage, Artifact],
    judgement: RelevanceJudgement | None = None,
) -> list[CriterionResult]:
    """Each criterion's score and findings, in rubric order (useful as asset metadata).

    `judgement` is a model's relevance judgement of this draft (see `judge.py`), if one was
    asked for; without it relevance is judged offline only.
    """
    check_artifact(stage, artifact)
    fields = text_fields(artifact)
    return [
        completeness(artifact),
        length(fields),
        specificity(fields, premise_keywords(spec.premise)),
        relevance(stage, artifact, spec, upstream, judgement),
        repetition(fields),
        *text_criteria(fields, spec),
    ]


def weighted_score(criteria: list[CriterionResult]) -> float:
    total_weight = sum(criterion.weight for criterion in criteria)
    if total_weight == 0:
        return 1.0
    weighted = sum(criterion.weight * criterion.score for criterion in criteria)
    return round(weighted / total_weight, 3)


def quality_gate(
    stage: Stage,
    artifact: Artifact,
    *,
    spec: SessionSpec,
    upstream: Mapping[Stage, Artifact],
    threshold: float = DEFAULT_QUALITY_THRESHOLD,
    judgement: RelevanceJudgement | None = None,
) -> GateVerdict:
    """Score a draft against the rubric; it passes at `threshold` unless a hard criterion failed.

    A `judgement` is blended into relevance and kept on the verdict, for the check's metadata.
    """
    criteria = quality_criteria(stage, artifact, spec=spec, upstream=upstream, judgement=judgement)
    score = weighted_score(criteria)
    hard_failure = any(criterion.hard_failure for criterion in criteria)
    return GateVerdict(
        gate=GateName.QUALITY,
        stage=stage,
        passed=score >= threshold and not hard_failure,
        score=score,
        threshold=threshold,
        findings=tuple(finding for criterion in criteria for finding in criterion.findings),
        judgement=judgement,
    )
