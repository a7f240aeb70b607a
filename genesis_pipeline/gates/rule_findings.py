"""Findings shared by the consistency rules: repeats, dangling references, missing inputs."""

from collections.abc import Iterable

from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import Finding


def missing_upstream(stage: Stage) -> list[Finding]:
    return [Finding(field=f"upstream.{stage.value}", problem=f"the {stage.value} is not available")]


def duplicates(
    entries: Iterable[tuple[str, str]], what: str, *, fold_case: bool = False
) -> list[Finding]:
    """`entries` are (path, value) pairs; every repeat of an earlier value is a finding."""
    seen: dict[str, str] = {}
    findings: list[Finding] = []
    for path, value in entries:
        key = value.strip().lower() if fold_case else value
        if key in seen:
            findings.append(
                Finding(field=path, problem=f"duplicate {what} {value!r} (also {seen[key]})")
            )
        else:
            seen[key] = path
    return findings


def unknown_reference(path: str, value: str, known: set[str], what: str) -> list[Finding]:
    if value in known:
        return []
    listed = ", ".join(sorted(known)) or "none"
    return [Finding(field=path, problem=f"{value!r} is not a {what} (known: {listed})")]
