from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import FeedbackAction, FeedbackSubmitted, Inbound
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.service.handlers import ConcurrentVersionError, UnknownSessionError
from genesis_pipeline.store.engine import dispose_shared_engine
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import outbox
from genesis_pipeline_tests.integration.store.conftest import (
    PASSED_EVENTS,
    concept_artifact,
    event_types,
    outcome_for,
)


def test_a_session_is_created_once(store):
    spec = SessionSpec(premise="A premise")
    assert handlers.create_session(store.unit_of_work(), "s-one", spec, correlation_id="c") is True
    assert handlers.create_session(store.unit_of_work(), "s-one", spec, correlation_id="c") is False
    assert event_types(store, "s-one") == ["genesis.session.created"]


def test_a_passed_draft_is_stored_with_its_events_in_order(store, session_id):
    outcome = outcome_for(store, session_id, Stage.CONCEPT)
    record = handlers.record_outcome(
        store.unit_of_work(), outcome, concept_artifact(), run_id="r1", summary="The Salt Map"
    )
    assert (record.version, record.attempt, record.status, record.approved_by) == (
        1,
        1,
        "passed",
        "auto",
    )
    assert event_types(store, session_id) == ["genesis.session.created", *PASSED_EVENTS]
    with store.read() as r:
        events = r.outbox.for_session(session_id)
        gates = r.gates.for_version(record.id)
    assert {e.correlation_id for e in events} == {"corr-1"}
    assert [g.gate for g in gates] == ["quality", "consistency"]
    generated = next(e for e in events if e.event_type == "genesis.content.generated")
    assert generated.payload == {
        "stage": "concept",
        "version": 1,
        "attempt": 1,
        "summary": "The Salt Map",
    }


def test_recording_the_same_attempt_twice_stores_one_version_and_one_set_of_events(
    store, session_id
):
    outcome = outcome_for(store, session_id, Stage.CONCEPT)
    first = handlers.record_outcome(
        store.unit_of_work(), outcome, concept_artifact(), run_id="r1", summary="s"
    )
    again = handlers.record_outcome(
        store.unit_of_work(), outcome, concept_artifact(), run_id="r2", summary="s"
    )
    assert first.id == again.id
    with store.read() as r:
        assert r.artifacts.count(session_id, Stage.CONCEPT) == 1
    assert len(event_types(store, session_id)) == 1 + len(PASSED_EVENTS)


def test_same_version_from_another_basis_is_refused(store, session_id):
    outcome = outcome_for(store, session_id, Stage.CONCEPT)
    handlers.record_outcome(
        store.unit_of_work(), outcome, concept_artifact(), run_id="r1", summary="s"
    )
    rival = outcome.model_copy(update={"basis_key": "another basis"})
    with pytest.raises(ConcurrentVersionError):
        handlers.record_outcome(
            store.unit_of_work(), rival, concept_artifact(), run_id="r2", summary="s"
        )


def test_a_failed_gate_requests_a_revision_that_the_next_attempt_answers(store, session_id):
    failed = outcome_for(store, session_id, Stage.CONCEPT, quality=False)
    handlers.record_outcome(
        store.unit_of_work(), failed, concept_artifact(), run_id="r1", summary="s"
    )
    assert store.current_approved(session_id, Stage.CONCEPT) is None  # never a failed draft

    brief = store.brief(session_id, Stage.CONCEPT)
    assert brief.attempt == 2
    assert brief.instructions == ("Fix candidates[0].hook: placeholder",)
    assert brief.previous is not None and brief.previous.version == 1
    assert event_types(store, session_id)[-1] == "genesis.stage.rewrite_requested"

    fixed = outcome_for(store, session_id, Stage.CONCEPT)
    record = handlers.record_outcome(
        store.unit_of_work(), fixed, concept_artifact("Second"), run_id="r2", summary="s"
    )
    assert (record.version, record.attempt, record.revision_request_id) == (
        2,
        2,
        brief.revision_request_id,
    )
    with store.read() as r:
        assert r.revisions.pending_for(session_id, Stage.CONCEPT) == []
    assert store.current_approved(session_id, Stage.CONCEPT).version == 2  # type: ignore[union-attr]


def test_the_last_attempt_failing_fails_the_stage_and_flags_the_session(store, session_id):
    for _ in range(2):  # max_attempts=2
        outcome = outcome_for(store, session_id, Stage.CONCEPT, consistency=False)
        handlers.record_outcome(
            store.unit_of_work(), outcome, concept_artifact(), run_id="r", summary="s"
        )
    with store.read() as r:
        session = r.sessions.get(session_id)
        assert r.revisions.pending_for(session_id, Stage.CONCEPT) == []
        failed = [
            e for e in r.outbox.for_session(session_id) if e.event_type == "genesis.stage.failed"
        ]
    assert session is not None and session.status is SessionStatus.NEEDS_ATTENTION
    assert "consistency" in (session.status_reason or "")
    assert [e.payload["attempts"] for e in failed] == [2]


def test_a_unit_of_work_that_is_not_committed_leaves_nothing(store, session_id):
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.sessions.add("s-rolled-back", SessionSpec(premise="p"), correlation_id="c")
        raise RuntimeError("crash before commit")
    with store.unit_of_work() as uow:
        uow.sessions.add("s-uncommitted", SessionSpec(premise="p"), correlation_id="c")
    with store.read() as r:
        assert r.sessions.get("s-rolled-back") is None
        assert r.sessions.get("s-uncommitted") is None


def test_brief_of_an_unknown_session_says_so(store):
    with pytest.raises(UnknownSessionError, match="nope-1"):
        store.brief("nope-1", Stage.CONCEPT)


def regenerate(session_id: str, event_id: str) -> Inbound:
    payload = FeedbackSubmitted(stage=Stage.CONCEPT, action=FeedbackAction.REGENERATE)
    envelope = new_event(
        EventType.FEEDBACK_SUBMITTED,
        session_id=session_id,
        correlation_id="corr-1",
        payload=payload.model_dump(mode="json"),
    ).model_copy(update={"event_id": event_id})
    return Inbound(envelope=envelope, event_type=EventType.FEEDBACK_SUBMITTED, payload=payload)


def test_the_new_seeds_of_regenerate_requests_are_stored_with_the_version(store, session_id):
    """A regenerate's seed is a hash of its event id; any one must fit the seed columns
    (a signed 32-bit INTEGER on PostgreSQL)."""
    seeds = []
    for number in range(8):  # half of all event ids hashed to a seed above 2**31 - 1
        message = regenerate(session_id, f"feedback-regenerate-{number}")
        assert handlers.feedback(store.unit_of_work(), message).new
        outcome = outcome_for(store, session_id, Stage.CONCEPT)
        record = handlers.record_outcome(
            store.unit_of_work(), outcome, concept_artifact(), run_id="r", summary="s"
        )
        seeds.append(record.seed)
    assert len(set(seeds)) == 8
    assert store.current_approved(session_id, Stage.CONCEPT).seed == seeds[-1]  # type: ignore[union-attr]


@pytest.mark.postgres
def test_times_read_back_are_utc_whatever_the_connection_time_zone(postgres_url):
    tokyo_url = postgres_url + "?options=-c%20TimeZone%3DAsia/Tokyo"
    try:
        store = GenesisStore(tokyo_url)
        handlers.create_session(
            store.unit_of_work(), "s-tokyo", SessionSpec(premise="p"), correlation_id="c"
        )
        outcome = outcome_for(store, "s-tokyo", Stage.CONCEPT, quality=False)
        record = handlers.record_outcome(
            store.unit_of_work(), outcome, concept_artifact(), run_id="r", summary="s"
        )
        with store.read() as r:
            [request] = r.revisions.pending_for("s-tokyo", Stage.CONCEPT)
        times = [store.session("s-tokyo").created_at, record.created_at, request.created_at]
    finally:
        dispose_shared_engine(tokyo_url)
    assert [t.utcoffset() for t in times] == [timedelta(0)] * 3


@pytest.mark.postgres
def test_reading_one_sessions_events_uses_the_session_index(postgres_url):
    """`genesis run` and `genesis status` read one session's events: on a large outbox that is
    an index scan, not a scan of every session's rows."""
    store = GenesisStore(postgres_url)
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": f"e-{n}",
            "event_type": "genesis.stage.started",
            "session_id": f"s-{n % 2000:04d}",
            "fact_key": f"test:{n}",
            "envelope": {},
            "created_at": now,
            "sent_at": now,
        }
        for n in range(40_000)
    ]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(outbox), rows)
        conn.execute(sa.text("ANALYZE outbox"))
        query = (
            sa.select(outbox.c.envelope)
            .where(outbox.c.session_id == "s-0042")
            .order_by(outbox.c.id)
        )
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
    assert "ix_outbox_session_id_id" in plan, plan
