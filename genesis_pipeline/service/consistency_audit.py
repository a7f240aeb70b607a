"""The consistency audit of a completed session: today's rules over yesterday's verdicts (pure)."""

from collections.abc import Iterable

from genesis_pipeline.domain.records import AuditedVersion
from genesis_pipeline.domain.verdicts import GateVerdict
from genesis_pipeline.gates.consistency import consistency_gate


def consistency_regressions(versions: Iterable[AuditedVersion]) -> list[GateVerdict]:
    """The failing verdict of every version whose stored consistency gate passed but that fails
    the gate now, judged exactly as it was then (same artifact, same upstream versions).

    Versions whose regression was reported already are not judged again; versions stored
    with a failed or no consistency verdict are not regressions, whatever they score now.
    """
    regressions = []
    for audited in versions:
        if not audited.stored_passed or audited.reported:
            continue
        verdict = consistency_gate(
            audited.stage,
            audited.artifact,
            upstream=audited.upstream,
            passed_versions=audited.passed_versions,
            spec=audited.spec,
        )
        if not verdict.passed:
            regressions.append(verdict)
    return regressions
