from datetime import UTC, datetime

from genesis_pipeline.defs.automation.revision_planner import plan_revision_runs, stages_to_resume
from genesis_pipeline.domain.records import RevisionRequestRecord, SessionRecord, VersionRecord
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def session(session_id: str, status=SessionStatus.ACTIVE, priority=0) -> SessionRecord:
    spec = SessionSpec(premise="p", priority=priority)
    return SessionRecord(session_id, spec, status, None, "c", NOW)


def request(request_id: int, session_id: str, stage: Stage) -> RevisionRequestRecord:
    return RevisionRequestRecord(
        request_id, session_id, stage, "quality", ("Fix x: y",), 2, 0, "pending", NOW
    )


def test_one_run_per_session_from_the_earliest_stage_asked_for():
    runs = plan_revision_runs(
        [request(7, "s-a", Stage.PLOT_OUTLINE), request(9, "s-a", Stage.WORLDVIEW)],
        {"s-a": session("s-a")},
    )
    assert len(runs) == 1
    assert runs[0].stages == (
        Stage.WORLDVIEW,
        Stage.CHARACTERS,
        Stage.PLOT_OUTLINE,
        Stage.STORY_BIBLE,
    )
    assert runs[0].request_ids == (7, 9)
    assert runs[0].run_key == "revision:s-a:7"
    assert runs[0].tags["genesis/session"] == "s-a"


def test_a_request_arriving_later_keeps_the_run_key_of_the_oldest_pending_one():
    sessions = {"s-a": session("s-a")}
    first = plan_revision_runs([request(7, "s-a", Stage.STORY)], sessions)
    later = plan_revision_runs(
        [request(7, "s-a", Stage.STORY), request(8, "s-a", Stage.CONCEPT)], sessions
    )
    assert first[0].run_key == later[0].run_key
    assert later[0].stages[0] is Stage.CONCEPT


def test_paused_cancelled_and_unknown_sessions_are_held_back():
    sessions = {
        "s-p": session("s-p", SessionStatus.PAUSED),
        "s-c": session("s-c", SessionStatus.CANCELLED),
        "s-ok": session("s-ok"),
    }
    pending = [request(1, sid, Stage.STORY) for sid in ("s-p", "s-c", "s-gone", "s-ok")]
    assert [run.session_id for run in plan_revision_runs(pending, sessions)] == ["s-ok"]


def test_higher_priority_sessions_come_first_and_carry_their_priority_tag():
    sessions = {"s-low": session("s-low", priority=-5), "s-high": session("s-high", priority=7)}
    runs = plan_revision_runs(
        [request(1, "s-low", Stage.STORY), request(2, "s-high", Stage.STORY)], sessions
    )
    assert [r.session_id for r in runs] == ["s-high", "s-low"]
    assert runs[0].tags["dagster/priority"] == "7"


def version(stage: Stage, number: int, upstream: dict[Stage, int], approved: bool = True):
    return VersionRecord(
        id=hash((stage, number)),
        session_id="s-a",
        stage=stage,
        version=number,
        attempt=1,
        seed=0,
        status="passed",
        content={},
        upstream_versions=upstream,
        quality_score=0.9,
        model="m",
        prompt_version="p",
        tokens_in=1,
        tokens_out=1,
        latency_ms=1.0,
        revision_request_id=None,
        approved_by="writer" if approved else None,
        created_at=NOW,
    )


def chain(*approved_flags: bool) -> tuple[dict, dict]:
    passed, approved = {}, {}
    for stage, is_approved in zip(STAGE_ORDER, approved_flags, strict=False):
        inputs = {dep: 1 for dep in STAGE_INPUTS[stage]}
        record = version(stage, 1, inputs, is_approved)
        passed[stage] = record
        approved[stage] = record if is_approved else None
    return passed, approved


def test_resume_runs_from_the_first_stage_without_a_version():
    passed, approved = chain(True, True, True)
    assert stages_to_resume(passed, approved) == STAGE_ORDER[3:]
    assert stages_to_resume({}, {}) == STAGE_ORDER


def test_resume_reruns_a_stage_built_on_inputs_that_changed():
    passed, approved = chain(True, True, True, True, True, True)
    approved[Stage.CHARACTERS] = version(Stage.CHARACTERS, 2, {Stage.STORY: 1, Stage.WORLDVIEW: 1})
    passed[Stage.CHARACTERS] = approved[Stage.CHARACTERS]
    assert stages_to_resume(passed, approved) == (Stage.PLOT_OUTLINE, Stage.STORY_BIBLE)


def test_resume_waits_for_the_writer_and_has_nothing_to_do_when_done():
    assert stages_to_resume(*chain(True, False)) == ()
    assert stages_to_resume(*chain(*[True] * 6)) == ()


def test_a_revision_run_starts_earlier_when_an_earlier_stage_is_unfinished():
    [run] = plan_revision_runs(
        [request(3, "s-a", Stage.CHARACTERS)], {"s-a": session("s-a")}, {"s-a": Stage.CONCEPT}
    )
    assert run.stages == STAGE_ORDER and run.request_ids == (3,)
