"""The hard criteria of the quality rubric: broken text, found field by field.

Each fails the draft on its own and carries no weight in the score; each finding names the
broken field. The detectors themselves live in `defects`, `language` and `text`.
"""

from collections.abc import Callable

from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.verdicts import Finding
from genesis_pipeline.gates import defects
from genesis_pipeline.gates.language import language_problem
from genesis_pipeline.gates.quality_criteria import CriterionResult
from genesis_pipeline.gates.text import TextField, placeholder_markers, prose_fields


def _hard(
    name: str, fields: list[TextField], detect: Callable[[str], str | None], fix: str
) -> CriterionResult:
    """A hard criterion: a finding for every field `detect` objects to, and a failure if any.

    Each finding says what is wrong and then `fix`, the edit the rewrite should make."""
    findings = tuple(
        Finding(field=field.path, problem=f"{problem}; {fix}")
        for field in fields
        if (problem := detect(field.value))
    )
    failed = bool(findings)
    return CriterionResult(name, 0, 0.0 if failed else 1.0, findings, failed)


def _listed(prefix: str, detect: Callable[[str], list[str]]) -> Callable[[str], str | None]:
    def problem(text: str) -> str | None:
        found = detect(text)
        return f"{prefix}: {_quoted(found)}" if found else None

    return problem


def placeholders(fields: list[TextField]) -> CriterionResult:
    detect = _listed("contains placeholder text", placeholder_markers)
    return _hard("placeholders", fields, detect, "write the real name or detail instead")


def truncation(fields: list[TextField]) -> CriterionResult:
    fix = "finish the last sentence"
    return _hard("truncation", prose_fields(fields), defects.truncation, fix)


def looping(fields: list[TextField]) -> CriterionResult:
    fix = "say it once and go on"
    return _hard("looping", prose_fields(fields), defects.looping, fix)


def language(fields: list[TextField], spec: SessionSpec) -> CriterionResult:
    def problem(text: str) -> str | None:
        return language_problem(text, spec.language)

    fix = f"write it in {spec.language!r}"
    return _hard("language", prose_fields(fields), problem, fix)


def markup(fields: list[TextField]) -> CriterionResult:
    detect = _listed("leaked markup", defects.markup)
    return _hard("markup", fields, detect, "write plain prose, no code, JSON or Markdown")


def boilerplate(fields: list[TextField]) -> CriterionResult:
    detect = _listed("the assistant talking, not the text itself", defects.boilerplate)
    return _hard("boilerplate", fields, detect, "write only the field's own text")


def _quoted(values: list[str]) -> str:
    return ", ".join(repr(value) for value in values)


def text_criteria(fields: list[TextField], spec: SessionSpec) -> list[CriterionResult]:
    """Every hard text criterion, in rubric order."""
    return [
        placeholders(fields),
        truncation(fields),
        looping(fields),
        language(fields, spec),
        markup(fields),
        boilerplate(fields),
    ]
