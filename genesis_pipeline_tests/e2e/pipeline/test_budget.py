"""A session's token budget, enforced through the sensors on the real broker: a budget that
runs out mid-revision stops the session with `stage.failed` (`budget_exhausted`) and nothing
half-written; `resume_requested` with a larger budget goes on from there.

On SQLite: charging and settling on PostgreSQL, concurrent charges included, are tested in
integration/store/test_budgets.py; what runs here is the same code above the store."""

from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from genesis_pipeline.defs.resources import GeneratorResource
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.store.tables import generation_calls
from genesis_pipeline_tests.e2e.pipeline.conftest import PREMISE, Pipeline, make_pipeline

STAGES = [stage.value for stage in Stage]


@pytest.fixture
def pipeline(instance: dg.DagsterInstance, kafka: KafkaConfig, tmp_path: Path) -> Pipeline:
    """Every first draft has a flaw, so every stage is revised once (two calls a stage)."""
    pipeline = make_pipeline(instance, kafka, tmp_path)
    pipeline.resources["generator"] = GeneratorResource(provider="offline", offline_flaw_rate=1.0)
    return pipeline


def calls(pipeline: Pipeline, session_id: str) -> list[tuple[str, int, int]]:
    """(stage, attempt, tokens) of every model call charged to the session, in order."""
    c = generation_calls.c
    with pipeline.store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.stage, c.attempt, c.tokens_in + c.tokens_out)
            .where(c.session_id == session_id)
            .order_by(c.id)
        )
        return [(stage, attempt, tokens) for stage, attempt, tokens in rows]


def test_a_budget_that_runs_out_mid_revision_stops_the_session_until_it_is_raised(
    pipeline: Pipeline,
) -> None:
    # What a session costs, measured on one with room to spare (another session's drafts
    # differ a little in length, by much less than half a call).
    pipeline.command("requested", "budget-ref", premise=PREMISE, budget_tokens=10**6)
    pipeline.settle()
    reference = [(stage, attempt) for stage, attempt, _ in calls(pipeline, "budget-ref")]
    assert reference[:6] == [(stage, attempt) for stage in STAGES[:3] for attempt in (1, 2)]
    # Room for concept, story and worldview's first draft, not for worldview's revision.
    sizes = [tokens for _, _, tokens in calls(pipeline, "budget-ref")]
    budget = sum(sizes[:5]) + sizes[5] // 2

    sid = "budget-01"
    pipeline.command("requested", sid, premise=PREMISE, budget_tokens=budget)
    pipeline.settle()

    session = pipeline.store.session(sid)
    assert session.status is SessionStatus.NEEDS_ATTENTION
    assert "token budget exhausted" in (session.status_reason or "")
    [failed] = [e for e in pipeline.events(sid) if e.event_type == "genesis.stage.failed"]
    assert failed.payload["stage"] == "worldview"
    assert failed.payload["error_class"] == "budget_exhausted"
    # The call was not made and nothing of the attempt was stored: worldview has its flawed
    # first draft only, and nothing after it ran.
    made = calls(pipeline, sid)
    assert [(stage, attempt) for stage, attempt, _ in made] == reference[:5]
    spent = sum(tokens for _, _, tokens in made)
    assert f"has spent {spent:,} of its {budget:,} tokens" in failed.payload["message"]
    assert session.tokens_spent == spent <= budget
    rows = {row.stage: row for row in pipeline.store.stage_rows(sid)}
    assert rows[Stage.WORLDVIEW].versions == 1 and rows[Stage.WORLDVIEW].passed is None
    assert rows[Stage.CHARACTERS].versions == 0
    runs_before = len(pipeline.runs)
    pipeline.settle()
    assert len(pipeline.runs) == runs_before  # no further calls are tried for it

    # A budget no larger than what it spent would stop it again at once: refused.
    pipeline.command("resume_requested", sid, budget_tokens=spent)
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.NEEDS_ATTENTION
    [refused] = pipeline.dlq()
    assert dict(refused.headers)["genesis.dlq.reason"] == b"not_allowed_in_state"

    pipeline.command("resume_requested", sid, budget_tokens=10**6)
    pipeline.settle()
    session = pipeline.store.session(sid)
    assert session.status is SessionStatus.COMPLETED
    made = calls(pipeline, sid)  # worldview's revision, then the rest as usual
    assert [(stage, attempt) for stage, attempt, _ in made] == reference
    types = pipeline.event_types(sid)
    assert types[types.index("stage.failed") + 1] == "session.resumed"
    completed = pipeline.events(sid)[-1]
    assert completed.event_type == "genesis.session.completed"
    assert completed.payload["tokens"] == sum(t for _, _, t in made) == session.tokens_spent
    assert completed.payload["cost_usd"] == 0.0  # the offline model has no price


def test_a_writers_change_after_a_stopped_revision_gets_a_run_of_its_own(
    pipeline: Pipeline,
) -> None:
    """A revision run that stopped leaves its requests pending under a revision key that has a
    run. The writer's next change starts a run anyway; the stopped one alone starts nothing."""
    # Drafts that pass at once: the revisions here are the writer's.
    pipeline.resources["generator"] = GeneratorResource(provider="offline", offline_flaw_rate=0.0)
    sid = "budget-02"
    pipeline.command("requested", sid, premise=PREMISE, budget_tokens=10**6)
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
    with pipeline.store.unit_of_work() as uow:  # the budget is spent: the next call is refused
        uow.sessions.set_budget(sid, pipeline.store.session(sid).tokens_spent)
        uow.commit()
    made = len(calls(pipeline, sid))

    pipeline.feedback("feedback.submitted", sid, stage="story", action="regenerate")
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.NEEDS_ATTENTION
    runs = len(pipeline.runs)
    pipeline.settle()
    assert len(pipeline.runs) == runs  # the stopped revision is not tried again on its own

    pipeline.feedback("feedback.submitted", sid, stage="worldview", action="regenerate")
    pipeline.settle()
    failed = [e for e in pipeline.events(sid) if e.event_type == "genesis.stage.failed"]
    assert [e.payload["error_class"] for e in failed] == ["budget_exhausted"] * 2
    assert len(pipeline.runs) == runs + 1 and len(calls(pipeline, sid)) == made

    pipeline.command("resume_requested", sid, budget_tokens=10**6)
    pipeline.settle()
    assert pipeline.store.session(sid).status is SessionStatus.COMPLETED
    rows = {row.stage: row for row in pipeline.store.stage_rows(sid)}
    assert rows[Stage.STORY].pending_revision is None
    assert rows[Stage.WORLDVIEW].pending_revision is None
    regenerated = pipeline.store.current_approved(sid, Stage.STORY)
    assert regenerated is not None and regenerated.version == 2
