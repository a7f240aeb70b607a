"""Running one whole session in this process: the runs the planner (`service.planner`, as for
the sensors) asks for after the request, each revision and each of the writer's answers, until
it asks for nothing more."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from genesis_pipeline.defs.automation.failures import record_failures, stage_failures
from genesis_pipeline.defs.automation.jobs import session_assets
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.defs.stages.partitions import GENESIS_SESSION_PARTITIONS
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import FeedbackAction, FeedbackSubmitted, Inbound
from genesis_pipeline.domain.records import SessionRecord, VersionRecord
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER
from genesis_pipeline.service import handlers
from genesis_pipeline.service.planner import (
    Accepted,
    PlannedRun,
    Requested,
    Revisions,
    Trigger,
    next_runs,
)
from genesis_pipeline.store.genesis_store import GenesisStore, session_state
from genesis_pipeline.store.unit_of_work import UnitOfWork


class SessionExistsError(ValueError):
    pass


@dataclass
class SessionRun:
    session_id: str
    status: SessionStatus
    run_ids: list[str] = field(default_factory=list)
    bible_location: str | None = None


Review = Callable[[VersionRecord], FeedbackSubmitted]


def _awaiting_approval(r: UnitOfWork, session_id: str) -> VersionRecord | None:
    """The first stage whose newest version passed its gates but waits for the writer."""
    for stage in STAGE_ORDER:
        latest = r.artifacts.latest(session_id, stage)
        if latest is None or latest.status != "passed":
            return None
        if latest.approved_by is None:
            return latest
    return None


def _apply_review(
    store: GenesisStore,
    session: SessionRecord,
    version: VersionRecord,
    feedback: FeedbackSubmitted,
) -> list[PlannedRun]:
    """Apply the writer's answer as the feedback sensor would, and plan the next run."""
    event = new_event(
        EventType.FEEDBACK_SUBMITTED,
        session_id=session.session_id,
        correlation_id=session.correlation_id,
        payload=feedback.model_dump(mode="json"),
    )
    message = Inbound(envelope=event, event_type=EventType.FEEDBACK_SUBMITTED, payload=feedback)
    handlers.feedback(store.unit_of_work(), message)
    accepted = feedback.action is FeedbackAction.ACCEPT
    return _next(
        store,
        session.session_id,
        Accepted(event.event_id, version.stage) if accepted else Revisions(),
    )


def _next(store: GenesisStore, session_id: str, trigger: Trigger) -> list[PlannedRun]:
    with store.read() as r:
        state = session_state(r, session_id)
    assert state is not None
    return next_runs(state, trigger)


def run_session(
    session_id: str,
    spec: SessionSpec,
    *,
    instance: dg.DagsterInstance,
    resources: Mapping[str, Any],
    log_level: str = "DEBUG",
    review: Review | None = None,
) -> SessionRun:
    """Run a session to its end. In review mode human, `review` is asked about each version
    that passed its gates (the `genesis.feedback.submitted` a writer would send)."""
    store: GenesisStore = resources["genesis_store"].store
    correlation_id = str(uuid.uuid4())
    if not handlers.create_session(
        store.unit_of_work(),
        session_id,
        spec,
        correlation_id=correlation_id,
    ):
        raise SessionExistsError(f"session {session_id!r} already exists")
    instance.add_dynamic_partitions(GENESIS_SESSION_PARTITIONS, [session_id])
    result = SessionRun(session_id=session_id, status=SessionStatus.ACTIVE)
    planned = _next(store, session_id, Requested(f"run:{session_id}"))
    # Each revision run answers at least one request and attempts are bounded per stage,
    # so this ends; the cap only guards against a bug looping forever.
    # A reviewing writer adds runs of their own (an accept or a change per stage).
    cap = len(STAGE_ORDER) * (spec.max_attempts + 1) * (10 if review else 1)
    for _ in range(cap):
        if not planned:
            break
        run = planned[0]
        outcome = dg.materialize(
            GENESIS_ASSETS,
            selection=session_assets(run.stages, export=run.export),
            partition_key=session_id,
            instance=instance,
            resources=resources,
            tags=run.tags,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        result.run_ids.append(outcome.run_id)
        failures = stage_failures(outcome.all_events)
        if failures:  # a generator or storage error that retries could not fix
            record_failures(store, session_id, failures, run_id=outcome.run_id)
            break
        with store.read() as r:
            state = session_state(r, session_id)
            assert state is not None
            waiting = _awaiting_approval(r, session_id) if review and not state.pending else None
        planned = next_runs(state, Revisions())
        if waiting is not None and review is not None:
            planned = _apply_review(store, state.session, waiting, review(waiting))

    with store.read() as r:
        final = r.sessions.get(session_id)
        events = r.outbox.for_session(session_id)
    assert final is not None
    result.status = final.status
    completed = [e for e in events if e.event_type == EventType.SESSION_COMPLETED]
    if completed:
        result.bible_location = str(completed[-1].payload.get("bible_location"))
    return result
