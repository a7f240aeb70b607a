"""The gates as Dagster asset checks: specs for the asset graph, results from verdicts.

The checks are evaluated in the stage's own step from the pure gate functions (one step per
stage instead of two: each extra step costs a Dagster run ~70 ms of event-log writes).
"""

import warnings
from typing import Any

import dagster as dg

from genesis_pipeline.defs.stages.partitions import genesis_sessions
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict

CHECK_DESCRIPTIONS = {
    GateName.QUALITY: (
        "Quality gate: rubric score in [0,1] (completeness, length, specificity, relevance to "
        "the premise and earlier stages, no repetition) against "
        "the threshold. Broken text (placeholders, truncation, loops, wrong language, leaked "
        "markup, assistant boilerplate) and an off-premise draft fail it whatever the score. "
        "Failing sends the stage back for a rewrite with the findings."
    ),
    GateName.CONSISTENCY: (
        "Consistency gate: the draft agrees with the passed versions of earlier stages (ids of "
        "characters, locations and factions exist, names unique, story follows the concept, "
        "the cast keeps the story's names, the bible names no one outside the cast and holds "
        "exactly the passed versions). Failing sends the stage back for a rewrite."
    ),
}


APPROVAL_CHECK = "approval_gate"
APPROVAL_DESCRIPTION = (
    "Approval gate: in review mode `human` it stays failed, and the stages after this one wait, "
    "until the writer accepts this version (`genesis feedback SESSION STAGE accept`, or "
    "`genesis.feedback.submitted` with action accept); in review mode `auto` it passes with the "
    "other gates."
)


def check_name(gate: GateName) -> str:
    return f"{gate.value}_gate"


def gate_specs(stage: Stage) -> list[dg.AssetCheckSpec]:
    # Partitioned checks are a Dagster preview (1.13), taken deliberately: without them one
    # session's verdict (say, an approval the writer has not given yet) shows as the stage's
    # status for every session in the UI.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return _gate_specs(stage)


def _gate_specs(stage: Stage) -> list[dg.AssetCheckSpec]:
    specs = [
        dg.AssetCheckSpec(
            check_name(gate),
            asset=stage.value,
            blocking=True,
            description=CHECK_DESCRIPTIONS[gate],
            partitions_def=genesis_sessions,  # a verdict per session, not one per stage
        )
        for gate in GateName
    ]
    approval = dg.AssetCheckSpec(
        APPROVAL_CHECK,
        asset=stage.value,
        blocking=True,
        description=APPROVAL_DESCRIPTION,
        partitions_def=genesis_sessions,
    )
    return [*specs, approval]


def approval_result(
    stage: Stage, *, session_id: str, version: int, gates_passed: bool, human: bool
) -> dg.AssetCheckResult:
    """The approval gate as evaluated in the stage's own step."""
    if not gates_passed:
        description = f"v{version} not approved: it failed a gate and is being rewritten"
    elif human:
        description = (
            f"waiting for the writer to accept v{version}: "
            f"genesis feedback {session_id} {stage.value} accept"
        )
    else:
        description = f"v{version} approved automatically (review mode auto)"
    return dg.AssetCheckResult(
        check_name=APPROVAL_CHECK,
        asset_key=stage.value,
        passed=gates_passed and not human,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"version": version, "review_mode": "human" if human else "auto"},
        description=description,
    )


def writer_approval(
    stage: Stage, *, session_id: str, version: int, approved_by: str
) -> dg.AssetCheckEvaluation:
    """The approval gate passing when the writer's `accept` arrives (reported by the sensor)."""
    return dg.AssetCheckEvaluation(
        asset_key=dg.AssetKey(stage.value),
        check_name=APPROVAL_CHECK,
        passed=True,
        partition=session_id,
        metadata={"version": version, "review_mode": "human", "approved_by": approved_by},
        description=f"v{version} accepted by the writer",
        blocking=True,
        severity=dg.AssetCheckSeverity.ERROR,
    )


def check_result(verdict: GateVerdict, *, attempt: int, version: int) -> dg.AssetCheckResult:
    findings = "\n".join(f"- `{f.field}`: {f.problem}" for f in verdict.findings) or "none"
    metadata: dict[str, Any] = {
        "score": verdict.score,
        "attempt": attempt,
        "version": version,
        "findings": dg.MetadataValue.md(findings),
    }
    if verdict.threshold is not None:
        metadata["threshold"] = verdict.threshold
    if verdict.judgement is not None:
        # The model judge's view of relevance, beside the rubric's own score.
        metadata["judge_premise_fit"] = verdict.judgement.premise_fit
        metadata["judge_upstream_fit"] = verdict.judgement.upstream_fit
        metadata["judge_reasons"] = verdict.judgement.reasons
    return dg.AssetCheckResult(
        check_name=check_name(verdict.gate),
        asset_key=verdict.stage.value,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=(
            f"v{version} (attempt {attempt}) passed"
            if verdict.passed
            else f"v{version} (attempt {attempt}) failed: {len(verdict.findings)} finding(s)"
        ),
    )


class GateSettings(dg.ConfigurableResource):
    """Gate thresholds. Empty means GENESIS_QUALITY_THRESHOLD (default 0.75)."""

    quality_threshold: float | None = None

    def threshold(self) -> float:
        if self.quality_threshold is not None:
            return self.quality_threshold
        from genesis_pipeline.settings import GenesisSettings

        return GenesisSettings().quality_threshold
