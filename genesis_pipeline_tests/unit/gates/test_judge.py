import json

import pytest
from pydantic import ValidationError

from genesis_pipeline.defs.checks import check_result
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import RelevanceJudgement
from genesis_pipeline.gates.evaluate import evaluate_gates
from genesis_pipeline.gates.judge import UPSTREAM_DIGEST_CHARS, judge_prompt
from genesis_pipeline.gates.quality import quality_criteria
from genesis_pipeline.gates.quality_criteria import CriterionResult
from genesis_pipeline_tests.unit.gates import samples

UNRELATED = RelevanceJudgement(
    premise_fit=0.1, upstream_fit=0.3, reasons="An English village, not a drowning harbor."
)
FITTING = RelevanceJudgement(premise_fit=0.9, upstream_fit=0.8, reasons="On premise.")


def relevance(stage: Stage, judgement: RelevanceJudgement | None) -> CriterionResult:
    results = quality_criteria(
        stage,
        samples.artifact(stage),
        spec=samples.spec(),
        upstream=samples.upstream(stage),
        judgement=judgement,
    )
    return next(result for result in results if result.name == "relevance")


def test_judgement_scores_are_bounded_and_extra_keys_ignored() -> None:
    with pytest.raises(ValidationError):
        RelevanceJudgement(premise_fit=1.5, upstream_fit=0.5)
    parsed = RelevanceJudgement.model_validate_json(
        '{"premise_fit": 0.5, "upstream_fit": 1, "reasons": "ok", "confidence": "high"}'
    )
    assert (parsed.premise_fit, parsed.upstream_fit, parsed.reasons) == (0.5, 1.0, "ok")


def test_judgement_score_uses_the_aspects_that_apply() -> None:
    assert UNRELATED.score(has_upstream=True) == 0.2
    assert UNRELATED.score(has_upstream=False) == 0.1


def test_prompt_asks_for_the_judgement_as_json() -> None:
    system, user = judge_prompt(
        Stage.CHARACTERS, samples.characters(), samples.spec(), samples.upstream(Stage.CHARACTERS)
    )
    assert set(RelevanceJudgement.model_fields) <= set(system.replace('"', " ").split())
    assert f"Premise: {samples.PREMISE}" in user
    assert "Language: en" in user
    assert "premise_fit:" in user and "upstream_fit:" in user
    assert "Ada Venn (protagonist)" in user  # the draft
    assert "Gull Point Light" in user  # the world's places from the upstream digest


def test_prompt_pastes_a_digest_of_the_upstream_not_whole_artifacts() -> None:
    upstream = samples.upstream(Stage.STORY_BIBLE)
    _, user = judge_prompt(Stage.STORY_BIBLE, samples.story_bible(), samples.spec(), upstream)
    whole = sum(len(json.dumps(a.model_dump(mode="json"))) for a in upstream.values())
    assert len(user) < 2600 < whole
    lines = [line for line in user.splitlines() if line.startswith("- ")]
    assert [line.split(":")[0] for line in lines] == [
        "- concept",
        "- story",
        "- worldview",
        "- characters",
        "- plot_outline",
    ]
    assert all(len(line.split(": ", 1)[1]) <= UPSTREAM_DIGEST_CHARS for line in lines)


def test_prompt_for_the_first_stage_says_there_is_no_upstream() -> None:
    _, user = judge_prompt(Stage.CONCEPT, samples.concept(), samples.spec(), {})
    assert "Earlier stages:\n- none" in user
    assert "The Keeper's Ledger" in user  # every candidate of the draft


def test_a_fitting_judgement_blends_into_relevance() -> None:
    result = relevance(Stage.STORY, FITTING)
    assert (result.score, result.findings, result.hard_failure) == (0.925, (), False)


def test_an_unrelated_judgement_fails_the_draft_and_quotes_the_judge() -> None:
    result = relevance(Stage.STORY, UNRELATED)
    assert result.hard_failure
    assert result.score == 0.6
    [finding] = result.findings
    assert finding.field == "synopsis"
    assert "0.20 (premise 0.10, earlier stages 0.30)" in finding.problem
    assert finding.problem.endswith("An English village, not a drowning harbor.")


def test_the_first_stage_is_judged_on_the_premise_alone() -> None:
    judgement = RelevanceJudgement(premise_fit=0.9, upstream_fit=0.0)
    assert relevance(Stage.CONCEPT, judgement).findings == ()


def test_the_judgement_rides_on_the_quality_verdict_into_the_checks_metadata() -> None:
    quality, consistency = evaluate_gates(
        Stage.STORY,
        samples.story(),
        spec=samples.spec(),
        upstream=samples.upstream(Stage.STORY),
        passed_versions=samples.PASSED_VERSIONS,
        judgement=UNRELATED,
    )
    assert (quality.passed, quality.judgement) == (False, UNRELATED)
    assert consistency.judgement is None
    metadata = check_result(quality, attempt=1, version=1).metadata
    assert metadata["judge_premise_fit"].value == 0.1
    assert metadata["judge_upstream_fit"].value == 0.3
    assert metadata["judge_reasons"].value == UNRELATED.reasons
    assert "judge_premise_fit" not in check_result(consistency, attempt=1, version=1).metadata
