"""The revision loop notices an attempt that makes no progress, changes strategy, then stops."""

from genesis_pipeline.domain.outcome import (
    NextStep,
    PreviousAttempt,
    Strategy,
    decide,
    no_progress,
    similarity,
)
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import Finding, GateName, GateVerdict

DUPLICATE = Finding(field="characters[1].name", problem="duplicate name 'The Inspector'")
MISSING = Finding(field="characters", problem="no protagonist")
DRAFT = "Inspector Shen walks the Bund at night. The opera house is dark. A body waits."


def failed(*findings: Finding) -> tuple[GateVerdict, ...]:
    return (
        GateVerdict(gate=GateName.QUALITY, stage=Stage.CHARACTERS, passed=True, score=0.9),
        GateVerdict(
            gate=GateName.CONSISTENCY,
            stage=Stage.CHARACTERS,
            passed=False,
            score=0.5,
            findings=findings,
        ),
    )


def test_the_same_findings_again_is_no_progress() -> None:
    previous = PreviousAttempt(2, DRAFT, frozenset({DUPLICATE}))
    reason = no_progress(previous, "A wholly different cast list.", frozenset({DUPLICATE}))
    assert reason == "attempt 3 repeated the findings of attempt 2"


def test_the_same_fields_flagged_again_is_no_progress_whatever_the_wording() -> None:
    previous = PreviousAttempt(1, DRAFT, frozenset({DUPLICATE}))
    reworded = Finding(field=DUPLICATE.field, problem="duplicate name 'Shen'")
    assert no_progress(previous, "Another cast.", frozenset({reworded, MISSING})) is not None


def test_a_barely_changed_draft_is_no_progress_even_with_other_findings() -> None:
    previous = PreviousAttempt(1, DRAFT, frozenset({DUPLICATE}))
    touched = DRAFT.replace("A body waits.", "A body waits there.")
    assert no_progress(previous, touched, frozenset({MISSING})) == (
        "attempt 2 barely changed the draft of attempt 1"
    )


def test_fixing_something_or_rewriting_is_progress() -> None:
    previous = PreviousAttempt(1, DRAFT, frozenset({DUPLICATE, MISSING}))
    assert no_progress(previous, "Another draft altogether.", frozenset({MISSING})) is None
    assert no_progress(previous, DRAFT, frozenset()) is None  # it passed


def test_similarity_is_one_for_the_same_words_and_low_for_others() -> None:
    assert similarity(DRAFT, DRAFT.upper()) == 1.0
    assert similarity(DRAFT, "Nothing of the kind was written here at all.") == 0.0


def test_a_stall_starts_fresh_with_the_findings_as_things_to_avoid() -> None:
    decision = decide(failed(DUPLICATE), attempt=2, max_attempts=5, stalled="attempt 2 repeated …")
    assert decision.step is NextStep.REWRITE
    assert decision.strategy is Strategy.FRESH
    assert decision.next_attempt == 3
    assert decision.instructions == ("Avoid: duplicate name 'The Inspector' (characters[1].name)",)
    assert decision.note == "attempt 2 repeated …; starting fresh"


def test_a_stall_after_starting_fresh_stops_early() -> None:
    decision = decide(
        failed(DUPLICATE),
        attempt=3,
        max_attempts=5,
        strategy=Strategy.FRESH,
        stalled="attempt 3 repeated the findings of attempt 2",
    )
    assert decision.step is NextStep.FAIL
    assert decision.note is not None and decision.note.startswith("stopped early, no progress")


def test_without_a_stall_the_loop_revises_as_before() -> None:
    decision = decide(failed(DUPLICATE), attempt=1, max_attempts=3)
    assert (decision.step, decision.strategy, decision.note) == (
        NextStep.REWRITE,
        Strategy.REVISE,
        None,
    )
    assert decision.instructions == (DUPLICATE.as_instruction(),)
