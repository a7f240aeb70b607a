"""The weighted criteria of the quality rubric, each a pure function scoring one aspect in [0, 1].

Completeness, length, specificity, relevance and repetition make the score. Two of them can
also fail a draft on their own: relevance when the draft is off-premise (see `relevance`) or
the model judge says it is unrelated, and repetition when a sentence is copied into three
fields. The hard criteria on each field's text (placeholders, truncation, looping, language,
markup, boilerplate) are in `text_criteria`.
"""

from collections.abc import Mapping
from dataclasses import dataclass

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
from genesis_pipeline.domain.stages import STAGE_INPUTS, Stage
from genesis_pipeline.domain.verdicts import WHOLE_ARTIFACT, Finding, RelevanceJudgement
from genesis_pipeline.gates import defects
from genesis_pipeline.gates.inputs import upstream_artifact
from genesis_pipeline.gates.relevance import fit_field, premise_fit
from genesis_pipeline.gates.text import (
    LENGTH_BOUNDS,
    TextField,
    artifact_text,
    is_specific,
    normalize,
    prose_fields,
    split_sentences,
)

REPEATED_SENTENCE_COUNT = 3
# Below this the judge's score fails the draft on its own: the model says it is unrelated.
JUDGE_FAIL_BELOW = 0.4
# Below this the judge's score is quoted as a finding, so the rewrite knows why.
JUDGE_QUOTE_BELOW = 0.7


@dataclass(frozen=True)
class CriterionResult:
    name: str
    weight: float
    score: float
    findings: tuple[Finding, ...] = ()
    hard_failure: bool = False


def _at_least(field: str, count: int, minimum: int, noun: str) -> list[Finding]:
    if count >= minimum:
        return []
    return [Finding(field=field, problem=f"expected at least {minimum} {noun}, found {count}")]


def _requirements(artifact: Artifact) -> list[list[Finding]]:
    """One entry per requirement; an empty entry is a requirement that is met."""
    if isinstance(artifact, Concept):
        return [_at_least("candidates", len(artifact.candidates), 3, "candidates")]
    if isinstance(artifact, Story):
        return [_at_least("structure", len(artifact.structure), 3, "story parts")]
    if isinstance(artifact, Worldview):
        return [
            _at_least("locations", len(artifact.locations), 3, "locations"),
            _at_least("factions", len(artifact.factions), 2, "factions"),
            _at_least("rules", len(artifact.rules), 2, "rules"),
            _at_least("history", len(artifact.history), 2, "history entries"),
        ]
    if isinstance(artifact, Cast):
        roles = [character.role for character in artifact.characters]
        return [
            _at_least("characters", len(artifact.characters), 4, "characters"),
            _at_least("characters", roles.count("protagonist"), 1, "protagonist"),
            _at_least("characters", roles.count("antagonist"), 1, "antagonist"),
        ]
    if isinstance(artifact, PlotOutline):
        # "Every act" and "every chapter" are one requirement each, so that a long outline
        # with one thin chapter loses as much as a short one.
        return [
            _at_least("acts", len(artifact.acts), 3, "acts"),
            [
                finding
                for a, act in enumerate(artifact.acts)
                for finding in _at_least(f"acts[{a}].chapters", len(act.chapters), 2, "chapters")
            ],
            [
                finding
                for a, act in enumerate(artifact.acts)
                for c, chapter in enumerate(act.chapters)
                for finding in _at_least(
                    f"acts[{a}].chapters[{c}].beats", len(chapter.beats), 2, "beats"
                )
            ],
        ]
    if isinstance(artifact, BibleNarrative):
        return [_at_least("glossary", len(artifact.glossary), 3, "glossary entries")]
    raise TypeError(f"no completeness requirements for {type(artifact).__name__}")


def completeness(artifact: Artifact) -> CriterionResult:
    requirements = _requirements(artifact)
    met = sum(1 for findings in requirements if not findings)
    findings = tuple(finding for unmet in requirements for finding in unmet)
    return CriterionResult("completeness", 2, round(met / len(requirements), 3), findings)


def length(fields: list[TextField]) -> CriterionResult:
    findings: list[Finding] = []
    for field in fields:
        low, high = LENGTH_BOUNDS[field.kind]
        size = len(field.value)
        if size < low:
            problem = f"too short: {size} characters, expected at least {low}"
            findings.append(Finding(field=field.path, problem=problem))
        elif size > high:
            problem = f"too long: {size} characters, expected at most {high}"
            findings.append(Finding(field=field.path, problem=problem))
    return CriterionResult("length", 1, _fraction_ok(len(fields), len(findings)), tuple(findings))


def specificity(fields: list[TextField], keywords: list[str]) -> CriterionResult:
    prose = prose_fields(fields)
    findings = tuple(
        Finding(
            field=field.path,
            problem="too generic: name someone or something (a capitalized name inside a "
            "sentence), use a word of the premise, or give a number",
        )
        for field in prose
        if not is_specific(field.value, keywords)
    )
    return CriterionResult("specificity", 1, _fraction_ok(len(prose), len(findings)), findings)


def _link(stage: Stage, artifact: Artifact, upstream: Mapping[Stage, Artifact]) -> Finding | None:
    """The upstream link the stage must mention, as a finding when it is missing.

    A missing upstream artifact is not scored here: the consistency gate reports it.
    """
    if stage is Stage.STORY and isinstance(artifact, Story):
        concept = upstream_artifact(upstream, Stage.CONCEPT, Concept)
        if concept is None:
            return None
        needles = [concept.chosen.title, *concept.chosen.themes]
        if not _mentions(artifact_text(artifact), needles):
            return Finding(
                field=WHOLE_ARTIFACT,
                problem="mention the selected concept's title or one of its themes: "
                + _quoted(needles),
            )
    if stage is Stage.CHARACTERS and isinstance(artifact, Cast):
        world = upstream_artifact(upstream, Stage.WORLDVIEW, Worldview)
        if world is None:
            return None
        needles = [place.name for place in world.locations] + [f.name for f in world.factions]
        if not _mentions(artifact_text(artifact), needles):
            return Finding(
                field="characters",
                problem="mention at least one worldview location or faction: " + _quoted(needles),
            )
    if stage is Stage.PLOT_OUTLINE and isinstance(artifact, PlotOutline):
        cast = upstream_artifact(upstream, Stage.CHARACTERS, Cast)
        if cast is None:
            return None
        needles = [character.name for character in cast.characters]
        summaries = "\n".join(beat.summary for beat in artifact.beats()).lower()
        if not _mentions(summaries, needles):
            return Finding(
                field="acts[*].chapters[*].beats[*].summary",
                problem="name at least one cast member in the beat summaries: " + _quoted(needles),
            )
    return None


def relevance(
    stage: Stage,
    artifact: Artifact,
    spec: SessionSpec,
    upstream: Mapping[Stage, Artifact],
    judgement: RelevanceJudgement | None = None,
) -> CriterionResult:
    """The offline premise check (see `relevance.py`) and the upstream link, blended with the
    judge's score when there is one: the mean of both, so that neither alone decides the
    score, while an off-premise draft fails by either's word."""
    fit = premise_fit(artifact, spec)
    findings = list(fit.findings)
    score = fit.score
    hard_failure = fit.off_premise
    link = _link(stage, artifact, upstream)
    if link is not None:
        score /= 2
        findings.append(link)
    if judgement is not None:
        judged = judgement.score(has_upstream=bool(STAGE_INPUTS[stage]))
        score = (score + judged) / 2
        hard_failure = hard_failure or judged < JUDGE_FAIL_BELOW
        if judged < JUDGE_QUOTE_BELOW:
            findings.append(
                Finding(
                    field=fit_field(artifact),
                    problem=f"the judge scores its fit {judged:.2f} (premise "
                    f"{judgement.premise_fit:.2f}, earlier stages {judgement.upstream_fit:.2f}): "
                    f"{judgement.reasons or 'no reasons given'}",
                )
            )
    return CriterionResult("relevance", 2, round(score, 3), tuple(findings), hard_failure)


def repetition(fields: list[TextField]) -> CriterionResult:
    """Fields that copy each other. Weighted, except that a sentence of four words or more
    in three fields or more is a model copying itself, and fails the draft on its own."""
    prose = prose_fields(fields)
    findings: list[Finding] = []
    first_path: dict[str, str] = {}
    for field in prose:
        key = normalize(field.value)
        if key in first_path:
            findings.append(Finding(field=field.path, problem=f"identical to {first_path[key]}"))
        else:
            first_path[key] = field.path
    # Short fields are names and labels, not sentences: three candidates sharing the theme
    # "grief" is not repetition.
    sentence_paths: dict[str, list[str]] = {}
    for field in prose:
        for sentence in split_sentences(field.value):
            sentence_paths.setdefault(normalize(sentence), []).append(field.path)
    copied = False
    for sentence, paths in sentence_paths.items():
        if len(paths) >= REPEATED_SENTENCE_COUNT:
            where = ", ".join(dict.fromkeys(paths))
            copied = copied or (
                len(set(paths)) >= REPEATED_SENTENCE_COUNT
                and len(defects.tokens(sentence)) >= defects.MIN_WORDS_FOR_TWICE
            )
            findings.append(
                Finding(
                    field=paths[0],
                    problem=f"sentence repeated {len(paths)} times (in {where}): {sentence!r}",
                )
            )
    score = _fraction_ok(len(prose), len(findings))
    return CriterionResult("repetition", 1, score, tuple(findings), copied)


def _fraction_ok(total: int, bad: int) -> float:
    if total == 0:
        return 1.0
    return round(max(0.0, 1 - bad / total), 3)


def _mentions(lowered_text: str, needles: list[str]) -> bool:
    return any(needle.strip().lower() in lowered_text for needle in needles if needle.strip())


def _quoted(values: list[str]) -> str:
    return ", ".join(repr(value) for value in values)
