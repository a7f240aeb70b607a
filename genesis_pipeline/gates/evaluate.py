"""Both gates for one draft, and both gates for every stage of an exported bible."""

from collections.abc import Mapping

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.domain.verdicts import GateVerdict, RelevanceJudgement
from genesis_pipeline.gates.consistency import consistency_gate
from genesis_pipeline.gates.quality import DEFAULT_QUALITY_THRESHOLD, quality_gate


def evaluate_gates(
    stage: Stage,
    artifact: Artifact,
    *,
    spec: SessionSpec,
    upstream: Mapping[Stage, Artifact],
    passed_versions: Mapping[Stage, int],
    quality_threshold: float = DEFAULT_QUALITY_THRESHOLD,
    judgement: RelevanceJudgement | None = None,
) -> tuple[GateVerdict, GateVerdict]:
    """The (quality, consistency) verdicts for one draft of one stage.

    `judgement` is a model's relevance judgement of the draft (`judge.judge_prompt` asks for
    it); the quality gate blends it into relevance and keeps it on its verdict.
    """
    quality = quality_gate(
        stage,
        artifact,
        spec=spec,
        upstream=upstream,
        threshold=quality_threshold,
        judgement=judgement,
    )
    consistency = consistency_gate(
        stage, artifact, upstream=upstream, passed_versions=passed_versions, spec=spec
    )
    return quality, consistency


# ISO 639-2 "undetermined": a code the language criterion does not judge.
UNDETERMINED_LANGUAGE = "und"


def lint_bible(
    document: BibleDocument,
    *,
    quality_threshold: float = DEFAULT_QUALITY_THRESHOLD,
    language: str = UNDETERMINED_LANGUAGE,
) -> list[GateVerdict]:
    """Both gates for all six stages of an exported bible, in stage order.

    Each stage sees its inputs as the document holds them, and the bible is held to the
    document's own `versions`: the export is judged as the pipeline would have judged it.
    An export does not record its session's language, so the language is judged only when
    the caller gives it.
    """
    spec = SessionSpec(premise=document.premise, language=language)
    passed_versions: dict[Stage, int] = {
        stage: version
        for stage, version in document.versions.items()
        if stage is not Stage.STORY_BIBLE
    }
    verdicts: list[GateVerdict] = []
    for stage in STAGE_ORDER:
        upstream = {source: document.artifact(source) for source in STAGE_INPUTS[stage]}
        verdicts.extend(
            evaluate_gates(
                stage,
                document.artifact(stage),
                spec=spec,
                upstream=upstream,
                passed_versions=passed_versions,
                quality_threshold=quality_threshold,
            )
        )
    return verdicts
