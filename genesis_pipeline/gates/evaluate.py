"""Both gates for one draft, and both gates for every stage of an exported bible."""

from collections.abc import Mapping

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.gates.consistency import consistency_gate
from genesis_pipeline.gates.quality import DEFAULT_QUALITY_THRESHOLD, quality_gate
from genesis_pipeline.gates.verdicts import GateVerdict


def evaluate_gates(
    stage: Stage,
    artifact: Artifact,
    *,
    spec: SessionSpec,
    upstream: Mapping[Stage, Artifact],
    passed_versions: Mapping[Stage, int],
    quality_threshold: float = DEFAULT_QUALITY_THRESHOLD,
) -> tuple[GateVerdict, GateVerdict]:
    """The (quality, consistency) verdicts for one draft of one stage."""
    quality = quality_gate(
        stage, artifact, spec=spec, upstream=upstream, threshold=quality_threshold
    )
    consistency = consistency_gate(
        stage, artifact, upstream=upstream, passed_versions=passed_versions
    )
    return quality, consistency


def lint_bible(
    document: BibleDocument, *, quality_threshold: float = DEFAULT_QUALITY_THRESHOLD
) -> list[GateVerdict]:
    """Both gates for all six stages of an exported bible, in stage order.

    Each stage sees its inputs as the document holds them, and the bible is held to the
    document's own `versions`: the export is judged as the pipeline would have judged it.
    """
    spec = SessionSpec(premise=document.premise)
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
