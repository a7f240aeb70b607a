from datetime import UTC, datetime

from genesis_pipeline.domain.records import RevisionRequestRecord, SessionRecord, VersionRecord
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_INPUTS, STAGE_ORDER, Stage
from genesis_pipeline.service.planner import (
    Accepted,
    Requested,
    Resumed,
    Revisions,
    SessionState,
    TransientRetry,
    by_priority,
    next_runs,
)

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def session(session_id: str, status=SessionStatus.ACTIVE, priority=0) -> SessionRecord:
    spec = SessionSpec(premise="p", priority=priority)
    return SessionRecord(session_id, spec, status, None, "c", NOW)


def request(request_id: int, session_id: str, stage: Stage) -> RevisionRequestRecord:
    return RevisionRequestRecord(
        request_id, session_id, stage, "quality", ("Fix x: y",), 2, 0, "pending", NOW
    )


def plan_revisions(pending, sessions, unfinished_passed=None):
    """The revision runs of every session with pending requests, in submission order."""
    runs = []
    for session_id, record in sessions.items():
        mine = tuple(r for r in pending if r.session_id == session_id)
        passed, approved = unfinished_passed or chain(*[True] * 6)
        state = SessionState(record, mine, passed, approved)
        runs += next_runs(state, Revisions())
    return sorted(runs, key=by_priority)


def stages_to_resume(passed, approved):
    return SessionState(session("s-a"), (), passed, approved).stages_left


def test_one_run_per_session_from_the_earliest_stage_asked_for():
    runs = plan_revisions(
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
    first = plan_revisions([request(7, "s-a", Stage.STORY)], sessions)
    later = plan_revisions(
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
    assert [run.session_id for run in plan_revisions(pending, sessions)] == ["s-ok"]


def test_higher_priority_sessions_come_first_and_carry_their_priority_tag():
    sessions = {"s-low": session("s-low", priority=-5), "s-high": session("s-high", priority=7)}
    runs = plan_revisions(
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
    [run] = plan_revisions([request(3, "s-a", Stage.CHARACTERS)], {"s-a": session("s-a")}, ({}, {}))
    assert run.stages == STAGE_ORDER and run.request_ids == (3,)


def test_each_trigger_plans_its_run_under_its_own_key():
    done = chain(True, True, True)
    active = SessionState(session("s-a", priority=2), (), *done)
    [first] = next_runs(active, Requested("e1"))
    assert (first.stages, first.run_key) == (STAGE_ORDER, "session:e1")
    assert first.tags == {"genesis/session": "s-a", "dagster/priority": "2"}
    [resumed] = next_runs(active, Resumed("e2"))
    assert (resumed.stages, resumed.run_key) == (STAGE_ORDER[3:], "resume:e2")
    [accepted] = next_runs(active, Accepted("e3", Stage.PLOT_OUTLINE))
    assert (accepted.stages, accepted.run_key) == ((Stage.STORY_BIBLE,), "accept:e3")
    [export] = next_runs(active, Accepted("e4", Stage.STORY_BIBLE))  # only the export is left
    assert (export.stages, export.export, export.run_key) == ((), True, "accept:e4")
    [retry] = next_runs(active, TransientRetry("run-9", 2))
    assert retry.run_key == "transient-retry:run-9"
    assert retry.tags["genesis/transient_retry"] == "2"


def test_a_session_that_is_not_active_gets_no_run_but_its_first():
    done = chain(True, True, True)
    for status in (SessionStatus.PAUSED, SessionStatus.CANCELLED, SessionStatus.COMPLETED):
        state = SessionState(session("s-a", status), (request(1, "s-a", Stage.STORY),), *done)
        for trigger in (Resumed("e"), Accepted("e", Stage.STORY), TransientRetry("r", 1)):
            assert next_runs(state, trigger) == [], (status, trigger)
        assert next_runs(state, Revisions()) == []


def test_a_resume_runs_the_pending_requests_under_its_own_key():
    """Their revision run may have been cancelled by the pause or stopped by the budget: the
    resume's run answers them, and its revision key tells the revision sensor it exists."""
    pending = (request(5, "s-a", Stage.STORY), request(8, "s-a", Stage.CHARACTERS))
    state = SessionState(session("s-a"), pending, *chain(True, True, True))
    [resumed] = next_runs(state, Resumed("e"))
    [revision] = next_runs(state, Revisions())
    assert (resumed.run_key, revision.run_key) == ("resume:e", "revision:s-a:5")
    assert resumed.tags["genesis/revision_key"] == revision.tags["genesis/revision_key"]
    assert resumed.tags["genesis/revision_key"] == "revision:s-a:5"
    assert (resumed.stages, resumed.request_ids) == (revision.stages, revision.request_ids)
    assert resumed.stages[0] is Stage.STORY and resumed.request_ids == (5, 8)
