"""Every payload the store writes to the outbox fits its model in `domain/outbound.py`.

The store builds payloads as plain dicts; the models (and the schemas in docs/schemas/ made from
them) are the contract. This walks every path that writes an outbound event and checks each
payload against its event type's model: no missing or mistyped field, and no field the model
does not name.
"""

from datetime import timedelta

from pydantic import BaseModel

from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.domain.inbound import (
    CharacterRequested,
    FeedbackAction,
    FeedbackSubmitted,
    Inbound,
    LifecycleReason,
    ResumeRequested,
)
from genesis_pipeline.domain.outbound import OUTBOUND_PAYLOADS
from genesis_pipeline.domain.outcome import decide
from genesis_pipeline.domain.records import AuditedVersion, AuditSubject
from genesis_pipeline.domain.session import ReviewMode, SessionSpec
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.maintenance import Maintenance
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline_tests.integration.store.conftest import (
    concept_artifact,
    outcome_for,
    verdicts,
)

# A model's draft, its judge's call, and an offline draft (which reports no finish_reason).
CALLS: tuple[dict[str, float | int | str], ...] = (
    dict(tokens_in=900, tokens_out=400, latency_ms=2500.0, finish_reason="stop", purpose="draft"),
    dict(tokens_in=300, tokens_out=30, latency_ms=400.0, finish_reason="length", purpose="judge"),
    dict(tokens_in=10, tokens_out=20, latency_ms=1.5, purpose="draft"),
)


def inbound(event_type: EventType, session_id: str, payload: BaseModel) -> Inbound:
    envelope = new_event(
        event_type,
        session_id=session_id,
        correlation_id="corr-1",
        payload=payload.model_dump(mode="json"),
    )
    return Inbound(envelope=envelope, event_type=event_type, payload=payload)


def outbox(store: GenesisStore, *session_ids: str) -> list[Envelope]:
    with store.read() as r:
        return [event for sid in session_ids for event in r.outbox.for_session(sid)]


def passed_concept(store: GenesisStore, session_id: str) -> int:
    outcome = outcome_for(store, session_id, Stage.CONCEPT).model_copy(update={"calls": CALLS})
    return handlers.record_outcome(
        store.unit_of_work(), outcome, concept_artifact(), run_id="r1", summary="s"
    ).id


def stalled_concept(store: GenesisStore, session_id: str) -> None:
    """Two attempts that make no progress: a fresh start with a note, then an early stop."""
    for attempt in (1, 2):
        outcome = outcome_for(store, session_id, Stage.CONCEPT, consistency=False)
        decision = decide(
            outcome.verdicts,
            attempt=outcome.attempt,
            max_attempts=3,
            strategy=store.brief(session_id, Stage.CONCEPT).strategy,
            stalled=f"attempt {attempt + 1} repeated the findings of attempt {attempt}",
        )
        outcome = outcome.model_copy(update={"decision": decision})
        handlers.record_outcome(
            store.unit_of_work(), outcome, concept_artifact(), run_id="r2", summary="s"
        )


def failing_concept(store: GenesisStore, session_id: str) -> None:
    """Every allowed attempt failing its gate, then an error that retries did not fix."""
    for _ in range(2):  # max_attempts=2
        outcome = outcome_for(store, session_id, Stage.CONCEPT, quality=False)
        handlers.record_outcome(
            store.unit_of_work(), outcome, concept_artifact(), run_id="r3", summary="s"
        )
    handlers.record_stage_failure(
        store.unit_of_work(),
        session_id,
        Stage.STORY,
        error_class="Failure",
        message="story attempt 1: no JSON",
        run_id="r4",
    )


def writer_requests(store: GenesisStore, session_id: str) -> None:
    modify = FeedbackSubmitted(stage=Stage.STORY, action=FeedbackAction.MODIFY, instructions="x")
    handlers.feedback(
        store.unit_of_work(), inbound(EventType.FEEDBACK_SUBMITTED, session_id, modify)
    )
    character = CharacterRequested(role="rival", description="A smuggler")
    handlers.feedback(
        store.unit_of_work(), inbound(EventType.CHARACTER_REQUESTED, session_id, character)
    )
    handlers.pause(
        store.unit_of_work(),
        inbound(EventType.SESSION_PAUSE_REQUESTED, session_id, LifecycleReason()),
    )
    handlers.resume(
        store.unit_of_work(),
        inbound(EventType.SESSION_RESUME_REQUESTED, session_id, ResumeRequested()),
    )
    cancel = LifecycleReason(reason="the writer changed their mind")
    handlers.cancel(
        store.unit_of_work(), inbound(EventType.SESSION_CANCEL_REQUESTED, session_id, cancel)
    )


def writer_accepts(store: GenesisStore) -> str:
    spec = SessionSpec(premise="A lighthouse keeper finds a map", review_mode=ReviewMode.HUMAN)
    handlers.create_session(store.unit_of_work(), "human-01", spec, correlation_id="corr-2")
    passed_concept(store, "human-01")
    accept = FeedbackSubmitted(stage=Stage.CONCEPT, action=FeedbackAction.ACCEPT)
    message = inbound(EventType.FEEDBACK_SUBMITTED, "human-01", accept)
    handlers.feedback(store.unit_of_work(), message)
    return "human-01"


def audit_regression(store: GenesisStore, session_id: str, version_id: int) -> None:
    audited = AuditedVersion(
        version_id=version_id,
        stage=Stage.CONCEPT,
        version=1,
        artifact=concept_artifact(),
        upstream={},
        passed_versions={},
        spec=SessionSpec(premise="A lighthouse keeper finds a map"),
        stored_passed=True,
        reported=False,
    )
    _, consistency = verdicts(Stage.CONCEPT, consistency=False)
    subject = AuditSubject(session_id, "corr-1", {Stage.CONCEPT: audited})
    Maintenance(store).record_regressions(subject, [consistency], run_id="audit-1")


def completed(store: GenesisStore, session_id: str) -> None:
    """`session.completed`, as the bible's export step announces it (for the payload, any stored
    version stands in for the exported bible)."""
    with store.read() as r:
        version = r.artifacts.latest(session_id, Stage.CONCEPT)
    assert version is not None
    assert handlers.complete_session(store.unit_of_work(), version, "file:///b.json")


def test_every_outbound_payload_fits_its_model(store: GenesisStore, session_id: str) -> None:
    version_id = passed_concept(store, session_id)
    completed(store, session_id)  # before the writer's requests below cancel the session
    audit_regression(store, session_id, version_id)
    later = utcnow() + timedelta(seconds=1)  # archived as if the retention period had passed
    assert handlers.archive_session(store.unit_of_work(), session_id, untouched_since=later)
    writer_requests(store, session_id)  # revives it
    for failing, attempts in (("stalled-01", 3), ("failing-01", 2)):
        spec = SessionSpec(premise="A map", max_attempts=attempts)
        handlers.create_session(store.unit_of_work(), failing, spec, correlation_id="corr-3")
    stalled_concept(store, "stalled-01")
    failing_concept(store, "failing-01")
    human = writer_accepts(store)
    sessions = (session_id, "stalled-01", "failing-01", human)
    events = outbox(store, *sessions)

    for event in events:
        model = OUTBOUND_PAYLOADS[EventType(event.event_type)]
        model.model_validate(event.payload)
        unnamed = set(event.payload) - set(model.model_fields)
        assert not unnamed, f"{event.event_type} carries {unnamed}, which {model.__name__} lacks"
    assert {EventType(e.event_type) for e in events} == set(OUTBOUND_PAYLOADS)
    # The variants the contract names, each seen at least once.
    payloads = [(e.event_type, e.payload) for e in events]
    rewrites = [p for t, p in payloads if t == EventType.STAGE_REWRITE_REQUESTED]
    assert {p["reason"] for p in rewrites} == {"quality", "consistency", "feedback", "request"}
    assert any(p.get("strategy") == "fresh" and p.get("note") for p in rewrites)
    failures = [p for t, p in payloads if t == EventType.STAGE_FAILED]
    assert {"run_id" in p for p in failures} == {True, False}
    assert {p["error_class"] for p in failures} >= {
        "quality_gate_failed",
        "consistency_gate_failed",
    }
    assert any(p["message"].startswith("stopped early, no progress: ") for p in failures)
    approvals = {p["approved_by"] for t, p in payloads if t == EventType.CONTENT_APPROVED}
    assert approvals == {"auto", "writer"}
