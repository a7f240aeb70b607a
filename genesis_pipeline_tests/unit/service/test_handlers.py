"""The rules of a session, handler by handler, on a SQLite genesis store."""

from pathlib import Path

import pytest

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import Inbound, LifecycleReason, Rejected, RejectReason
from genesis_pipeline.domain.session import (
    TRANSITIONS,
    SessionSpec,
    SessionStatus,
    Transition,
    allows,
)
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.service.announce import announce
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.integration.store.conftest import (
    concept_artifact,
    event_types,
    outcome_for,
)

SESSION = "harbor-07"


@pytest.fixture
def store(tmp_path: Path) -> GenesisStore:
    store = GenesisStore(f"sqlite:///{tmp_path / 'genesis.db'}")
    spec = SessionSpec(premise="A lighthouse keeper finds a map", max_attempts=3)
    assert handlers.create_session(store.unit_of_work(), SESSION, spec, correlation_id="corr-7")
    return store


def lifecycle(event_type: EventType, reason: str | None = None) -> Inbound:
    payload = LifecycleReason(reason=reason)
    envelope = new_event(
        event_type, session_id=SESSION, correlation_id="corr-7", payload=payload.model_dump()
    )
    return Inbound(envelope=envelope, event_type=event_type, payload=payload)


def status(store: GenesisStore) -> SessionStatus:
    return store.session(SESSION).status


@pytest.mark.parametrize(
    ("transition", "allowed_from"),
    [
        (Transition.PAUSE, {"active", "needs_attention"}),
        (Transition.RESUME, {"paused"}),
        (Transition.CANCEL, {"active", "needs_attention", "paused"}),
        (Transition.REOPEN, {"completed"}),
    ],
)
def test_the_status_table_says_where_each_command_applies(
    transition: Transition, allowed_from: set[str]
) -> None:
    assert {s.value for s in SessionStatus if allows(s, transition)} == allowed_from
    assert TRANSITIONS[transition][1] not in TRANSITIONS[transition][0]  # each one moves
    assert TRANSITIONS[transition][1] not in (
        TRANSITIONS[transition][0] - {SessionStatus.COMPLETED}
    )


def test_a_lifecycle_command_follows_the_table_and_announces_itself_once(store) -> None:
    pause = lifecycle(EventType.SESSION_PAUSE_REQUESTED, "lunch")
    applied = handlers.pause(store.unit_of_work(), pause)
    assert applied.new and applied.session.status is SessionStatus.PAUSED
    assert store.session(SESSION).status_reason == "lunch"

    again = handlers.pause(store.unit_of_work(), pause)  # the same message, redelivered
    assert not again.new
    assert event_types(store, SESSION).count("genesis.session.paused") == 1

    with pytest.raises(Rejected) as refused:  # a second pause finds the session paused
        handlers.pause(store.unit_of_work(), lifecycle(EventType.SESSION_PAUSE_REQUESTED))
    assert refused.value.reason is RejectReason.NOT_ALLOWED_IN_STATE
    assert "cannot pause session 'harbor-07': it is paused" in str(refused.value)

    handlers.resume(store.unit_of_work(), lifecycle(EventType.SESSION_RESUME_REQUESTED))
    assert status(store) is SessionStatus.ACTIVE


def test_cancel_drops_the_pending_revisions(store) -> None:
    failed = outcome_for(store, SESSION, Stage.CONCEPT, quality=False)
    handlers.record_outcome(
        store.unit_of_work(), failed, concept_artifact(), run_id="r1", summary="s"
    )
    with store.read() as r:
        assert r.revisions.pending_for_session(SESSION)

    handlers.cancel(store.unit_of_work(), lifecycle(EventType.SESSION_CANCEL_REQUESTED))
    with store.read() as r:
        assert r.revisions.pending_for_session(SESSION) == []
    assert status(store) is SessionStatus.CANCELLED


def test_running_out_of_attempts_stalls_the_session_with_the_reason(store) -> None:
    for attempt in range(3):
        outcome = outcome_for(store, SESSION, Stage.CONCEPT, consistency=False)
        assert outcome.attempt == attempt + 1
        handlers.record_outcome(
            store.unit_of_work(), outcome, concept_artifact(), run_id=f"r{attempt}", summary="s"
        )
    session = store.session(SESSION)
    assert session.status is SessionStatus.NEEDS_ATTENTION
    assert session.status_reason == "concept failed its consistency gate after 3 attempts"
    assert event_types(store, SESSION)[-1] == "genesis.stage.failed"


def test_a_fact_is_announced_once_under_its_key(store) -> None:
    session = store.session(SESSION)
    with store.unit_of_work() as uow:
        first = announce(uow, EventType.SESSION_RESUMED, session, {"reason": None}, fact="f-1")
        second = announce(uow, EventType.SESSION_RESUMED, session, {"reason": None}, fact="f-1")
        other = announce(uow, EventType.SESSION_RESUMED, session, {"reason": None}, fact="f-2")
        uow.commit()
    assert first is not None and second is None and other is not None
    assert first.correlation_id == "corr-7" and first.session_id == SESSION
    assert event_types(store, SESSION).count("genesis.session.resumed") == 2
