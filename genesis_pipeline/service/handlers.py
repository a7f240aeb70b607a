"""The rules of a session: one handler per thing that can happen to it.

Each handler is one unit of work (it enters the `uow` it is given and commits it): the state a
fact changes and the events announcing it (`announce`) commit together. Inbound handlers claim
the message's inbox row first, so a redelivered message finds it and changes nothing; the
caller then derives its Dagster effects from the returned state, which run keys make
idempotent. Status changes follow the domain's table (`domain.session.TRANSITIONS`).

What happens, its handler, the status it leaves and what it announces:

- a session is requested: `request_session`; active; session.created
- pause, resume, cancel: `pause`, `resume`, `cancel`; per the table; session.paused, .resumed,
  .cancelled
- modify, regenerate, a requested character or world element: `feedback`; a completed session
  is active again; stage.rewrite_requested
- accept: `feedback`; content.approved
- a stage attempt and its gates' decision: `record_outcome`; running out of attempts stalls
  the session (needs_attention); the attempt's chain (`outcome_events`)
- the approved bible was exported (the `bible_export` step, outside any transaction):
  `complete_session`; completed; session.completed
- a stage's permanent error: `record_stage_failure`; stalls it; stage.failed
- a finished session untouched for the retention period loses its Dagster partition:
  `archive_session`; the same status; session.archived. Any later status change (feedback on a
  completed session) revives it: session.revived, and its partition is added again.
"""

import hashlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.bible import BibleDocument
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.inbound import (
    CharacterRequested,
    FeedbackAction,
    FeedbackSubmitted,
    Inbound,
    LifecycleReason,
    Rejected,
    RejectReason,
    ResumeRequested,
    WorldviewElementRequested,
)
from genesis_pipeline.domain.metrics import GATE_VERDICTS
from genesis_pipeline.domain.outcome import NextStep, StageOutcome, Strategy
from genesis_pipeline.domain.records import GateRecord, SessionRecord, VersionRecord
from genesis_pipeline.domain.session import (
    TRANSITIONS,
    ReviewMode,
    SessionSpec,
    SessionStatus,
    Transition,
    allows,
)
from genesis_pipeline.domain.stages import STAGE_INPUTS, Stage
from genesis_pipeline.service.announce import announce
from genesis_pipeline.service.ports import UnitOfWork

WRITER = "writer"
# Seeds are 31 bits: the seed columns are INTEGER, signed 32-bit on PostgreSQL.
_SEED_MASK = 0x7FFF_FFFF


class UnknownSessionError(LookupError):
    pass


class ConcurrentVersionError(RuntimeError):
    """Another run stored this version number from a different basis; retrying is safe."""


@dataclass(frozen=True)
class Applied:
    """The result of applying one inbound message: `new` is False for a redelivery."""

    new: bool
    session: SessionRecord | None = None
    approved: VersionRecord | None = None


# --- the session's own facts ----------------------------------------------------------------
def create_session(
    uow: UnitOfWork,
    session_id: str,
    spec: SessionSpec,
    *,
    correlation_id: str,
    causation_id: str | None = None,
) -> bool:
    """Store a new session with its `session.created` event; False if it already exists."""
    with uow:
        if not _add_session(uow, session_id, spec, correlation_id, causation_id):
            return False
        uow.commit()
        return True


def _add_session(
    uow: UnitOfWork,
    session_id: str,
    spec: SessionSpec,
    correlation_id: str,
    causation_id: str | None,
) -> bool:
    if not uow.sessions.add(session_id, spec, correlation_id=correlation_id):
        return False
    session = uow.sessions.get(session_id)
    assert session is not None
    payload = {"premise": spec.premise, "review_mode": spec.review_mode.value}
    announce(uow, EventType.SESSION_CREATED, session, payload, fact=session_id, cause=causation_id)
    return True


def bible_document(uow: UnitOfWork, bible: VersionRecord) -> BibleDocument:
    """The exported bible of a `story_bible` version and the versions it was built from."""
    versions = {stage: bible.upstream_versions[stage] for stage in STAGE_INPUTS[Stage.STORY_BIBLE]}
    artifacts: dict[str, object] = {}
    for stage, number in versions.items():
        record = uow.artifacts.by_version(bible.session_id, stage, number)
        assert record is not None
        artifacts[stage.value] = record.content
    session = uow.sessions.get(bible.session_id)
    assert session is not None
    return BibleDocument.model_validate(
        {
            "session_id": bible.session_id,
            "premise": session.spec.premise,
            "versions": {**versions, Stage.STORY_BIBLE: bible.version},
            **artifacts,
            Stage.STORY_BIBLE.value: bible.content,
        }
    )


def complete_session(uow: UnitOfWork, bible: VersionRecord, location: str) -> bool:
    """The approved bible of the session was exported to `location`: the session is completed,
    announced with `session.completed` once per bible version. False when the session may not
    complete (cancelled meanwhile) or this version's completion was announced already."""
    with uow:
        session = uow.sessions.get(bible.session_id)
        if session is None or not allows(session.status, Transition.COMPLETE):
            return False
        spent = uow.spending.of(bible.session_id)
        done = {
            "bible_location": location,
            "bible_version": bible.version,
            "tokens": spent.tokens,
            "cost_usd": round(spent.cost_usd, 6),
        }
        if not announce(uow, EventType.SESSION_COMPLETED, session, done, fact=str(bible.id)):
            return False
        _transition(uow, session, Transition.COMPLETE)
        uow.commit()
        return True


def _transition(
    uow: UnitOfWork, session: SessionRecord, transition: Transition, reason: str | None = None
) -> SessionStatus:
    """Move the session along the status table if it allows; returns the status it has then."""
    if not allows(session.status, transition):
        return session.status
    to = TRANSITIONS[transition][1]
    uow.sessions.set_status(session.session_id, to, reason)  # an archived session is no more
    if session.archived_at is not None:
        archived = f"{session.session_id}@{session.archived_at.isoformat()}"
        announce(uow, EventType.SESSION_REVIVED, session, {"status": to.value}, fact=archived)
    return to


# Finished sessions: nothing runs for them until the writer asks for a change.
ARCHIVABLE = frozenset({SessionStatus.COMPLETED, SessionStatus.CANCELLED})


def archive_session(uow: UnitOfWork, session_id: str, *, untouched_since: datetime) -> bool:
    """Mark a finished session archived (its partition is gone) and announce it, unless it
    changed since `untouched_since`, is not finished or is archived already."""
    with uow:
        session = uow.sessions.get(session_id)
        if session is None:
            return False
        at = uow.sessions.archive(session_id, ARCHIVABLE, untouched_since=untouched_since)
        if at is None:
            return False
        payload = {"status": session.status.value}
        fact = f"{session_id}@{at.isoformat()}"
        announce(uow, EventType.SESSION_ARCHIVED, session, payload, fact=fact)
        uow.commit()
    return True


# --- inbound commands and feedback ----------------------------------------------------------
def request_session(uow: UnitOfWork, message: Inbound) -> Applied:
    assert isinstance(message.payload, SessionSpec)
    with uow:
        if not uow.inbox.claim(message.envelope):
            return Applied(new=False, session=uow.sessions.get(message.session_id))
        created = _add_session(
            uow,
            message.session_id,
            message.payload,
            message.envelope.correlation_id,
            message.event_id,
        )
        if not created:
            raise Rejected(
                RejectReason.NOT_ALLOWED_IN_STATE, f"session {message.session_id!r} already exists"
            )
        stored = uow.sessions.get(message.session_id)
        uow.commit()
    return Applied(new=True, session=stored)


def pause(uow: UnitOfWork, message: Inbound) -> Applied:
    return _lifecycle(uow, message, Transition.PAUSE, EventType.SESSION_PAUSED)


def resume(uow: UnitOfWork, message: Inbound) -> Applied:
    """Resume a paused session; with `budget_tokens`, also one that stopped for good (its
    budget ran out): the budget becomes that, and what is left runs."""
    budget = message.payload.budget_tokens if isinstance(message.payload, ResumeRequested) else None
    if budget is None:
        return _lifecycle(uow, message, Transition.RESUME, EventType.SESSION_RESUMED)
    return _lifecycle(
        uow, message, Transition.RESUME_WITH_BUDGET, EventType.SESSION_RESUMED, budget=budget
    )


def cancel(uow: UnitOfWork, message: Inbound) -> Applied:
    return _lifecycle(uow, message, Transition.CANCEL, EventType.SESSION_CANCELLED)


def _lifecycle(
    uow: UnitOfWork,
    message: Inbound,
    transition: Transition,
    event_type: EventType,
    *,
    budget: int | None = None,
) -> Applied:
    reason = message.payload.reason if isinstance(message.payload, LifecycleReason) else None
    with uow:
        session = _session(uow, message)
        if not uow.inbox.claim(message.envelope):
            return Applied(new=False, session=session)
        if not allows(session.status, transition):
            raise Rejected(
                RejectReason.NOT_ALLOWED_IN_STATE,
                f"cannot {transition} session {session.session_id!r}: it is {session.status}",
            )
        if budget is not None:
            if budget <= session.tokens_spent:
                raise Rejected(
                    RejectReason.NOT_ALLOWED_IN_STATE,
                    f"session {session.session_id!r} has spent {session.tokens_spent:,} tokens: "
                    f"a budget of {budget:,} would stop it again at once",
                )
            uow.sessions.set_budget(session.session_id, budget)
        to = _transition(uow, session, transition, reason)
        if transition is Transition.CANCEL:
            uow.revisions.cancel_pending(session.session_id)
        payload = {"reason": reason}
        announce(uow, event_type, session, payload, fact=message.event_id, cause=message.event_id)
        uow.commit()
    return Applied(new=True, session=replace(session, status=to, status_reason=reason))


def feedback(uow: UnitOfWork, message: Inbound) -> Applied:
    """Accept approves a version; everything else becomes a revision request."""
    payload = message.payload
    if isinstance(payload, FeedbackSubmitted) and payload.action is FeedbackAction.ACCEPT:
        return _accept(uow, message, payload.stage)
    stage, reason, instructions, seed_from = _revision(message)
    with uow:
        session = _session(uow, message)
        if not uow.inbox.claim(message.envelope):
            return Applied(new=False, session=session)
        if session.status is SessionStatus.CANCELLED:
            raise Rejected(
                RejectReason.NOT_ALLOWED_IN_STATE,
                f"session {session.session_id!r} is cancelled; feedback is not accepted",
            )
        latest = uow.artifacts.latest(session.session_id, stage)
        seed = _seed(seed_from) if seed_from else (latest.seed if latest else 0)
        uow.revisions.add(
            session_id=session.session_id,
            stage=stage,
            reason=reason,
            instructions=instructions,
            next_attempt=1,  # the writer's ask starts a fresh round of attempts
            seed=seed,
            origin_key=f"event:{message.event_id}",
        )
        _transition(uow, session, Transition.REOPEN)  # a change to a finished bible
        rewrite = {
            "stage": stage.value,
            "reason": "request" if reason == "request" else "feedback",
            "next_attempt": 1,
            "instructions": list(instructions),
        }
        announce(
            uow,
            EventType.STAGE_REWRITE_REQUESTED,
            session,
            rewrite,
            fact=message.event_id,
            cause=message.event_id,
        )
        uow.commit()
    return Applied(new=True, session=session)


def _accept(uow: UnitOfWork, message: Inbound, stage: Stage) -> Applied:
    with uow:
        session = _session(uow, message)
        latest = uow.artifacts.latest(session.session_id, stage)
        if not uow.inbox.claim(message.envelope):
            return Applied(new=False, session=session, approved=latest)
        if session.status is SessionStatus.CANCELLED:
            raise Rejected(
                RejectReason.NOT_ALLOWED_IN_STATE,
                f"session {session.session_id!r} is cancelled; nothing can be accepted",
            )
        if latest is None or latest.status != "passed":
            state = "has no version yet" if latest is None else "is being rewritten"
            raise Rejected(
                RejectReason.NOT_ALLOWED_IN_STATE,
                f"{stage} of {session.session_id!r} {state}; there is nothing to accept",
            )
        if latest.approved_by is not None:  # approved already: accepting again is a no-op
            uow.commit()
            return Applied(new=False, session=session, approved=latest)
        uow.artifacts.approve(latest.id, approved_by=WRITER)
        approved = {"stage": stage.value, "version": latest.version, "approved_by": WRITER}
        fact = message.event_id
        announce(uow, EventType.CONTENT_APPROVED, session, approved, fact=fact, cause=fact)
        uow.commit()
    return Applied(new=True, session=session, approved=replace(latest, approved_by=WRITER))


def _session(uow: UnitOfWork, message: Inbound) -> SessionRecord:
    session = uow.sessions.get(message.session_id)
    if session is None:
        raise Rejected(RejectReason.UNKNOWN_SESSION, f"no session {message.session_id!r}")
    return session


def _revision(message: Inbound) -> tuple[Stage, str, tuple[str, ...], str | None]:
    """(stage, stored reason, instructions, seed source) of a change request."""
    payload = message.payload
    if isinstance(payload, FeedbackSubmitted):
        if payload.action is FeedbackAction.REGENERATE:
            notes = (payload.instructions,) if payload.instructions else ()
            return payload.stage, "regenerate", notes, message.event_id
        assert payload.instructions is not None  # the model requires them for modify
        return payload.stage, "feedback", (payload.instructions,), None
    if isinstance(payload, CharacterRequested):
        return Stage.CHARACTERS, "request", (payload.instruction(),), None
    if isinstance(payload, WorldviewElementRequested):
        return Stage.WORLDVIEW, "request", (payload.instruction(),), None
    raise TypeError(f"not a change request: {message.event_type}")


def _seed(source: str) -> int:
    """A new seed for `regenerate`, fixed by the event so a redelivery cannot change it."""
    return int.from_bytes(hashlib.sha256(source.encode()).digest()[:4], "big") & _SEED_MASK


# --- stage attempts -------------------------------------------------------------------------
def record_outcome(
    uow: UnitOfWork,
    outcome: StageOutcome,
    artifact: Artifact,
    *,
    run_id: str | None,
    summary: str,
) -> VersionRecord:
    """Store a draft, its verdicts, their decision and every event announcing it: one fact.

    Recording the same attempt again (a re-run step, a race) returns the stored version and
    changes nothing.
    """
    with uow:
        session = uow.sessions.get(outcome.session_id)
        if session is None:
            raise UnknownSessionError(f"no session {outcome.session_id!r} in the genesis store")
        stored = uow.artifacts.add(_version_row(outcome, artifact, session, run_id))
        version = uow.artifacts.by_basis(outcome.session_id, outcome.stage, outcome.basis_key)
        if version is None:
            raise ConcurrentVersionError(
                f"version {outcome.version} of {outcome.stage} for {outcome.session_id} "
                "was stored by another run from different inputs; retry the stage"
            )
        if not stored:
            return version
        for verdict in outcome.verdicts:
            findings = [f.model_dump() for f in verdict.findings]
            gate = GateRecord(
                verdict.gate, verdict.passed, verdict.score, verdict.threshold, findings
            )
            uow.gates.add(version.id, gate)
        uow.metric_totals.add(
            GATE_VERDICTS,
            Counter(
                (outcome.stage.value, v.gate, "passed" if v.passed else "failed")
                for v in outcome.verdicts
            ),
        )
        uow.revisions.resolve(outcome.session_id, outcome.stage, up_to=outcome.revision_request_id)
        _next_step(uow, outcome, session, version)
        outcome_events(uow, outcome, session, version.id, run_id, summary)
        uow.commit()
        return version


def _version_row(
    outcome: StageOutcome, artifact: Artifact, session: SessionRecord, run_id: str | None
) -> dict[str, object]:
    completed = outcome.decision.step is NextStep.COMPLETE
    return dict(
        session_id=outcome.session_id,
        stage=outcome.stage.value,
        version=outcome.version,
        attempt=outcome.attempt,
        seed=outcome.seed,
        basis_key=outcome.basis_key,
        status="passed" if completed else "failed",
        content=artifact.model_dump(mode="json"),
        upstream_versions={s.value: v for s, v in outcome.upstream_versions.items()},
        quality_score=outcome.quality_score,
        model=outcome.model,
        prompt_version=outcome.prompt_version,
        tokens_in=outcome.tokens_in,
        tokens_out=outcome.tokens_out,
        latency_ms=outcome.latency_ms,
        revision_request_id=outcome.revision_request_id,
        run_id=run_id,
        approved_by="auto" if completed and session.review_mode is ReviewMode.AUTO else None,
        approved_at=None,
        created_at=datetime.now(UTC),
    )


def _next_step(
    uow: UnitOfWork,
    outcome: StageOutcome,
    session: SessionRecord,
    version: VersionRecord,
) -> None:
    """What a failed gate asks for: the next attempt's revision request, or, out of attempts,
    the session's stall. (A passed bible completes the session once it is exported: see
    `complete_session`.)"""
    decision = outcome.decision
    if decision.step is NextStep.REWRITE:
        assert decision.next_attempt is not None and decision.reason is not None
        fresh = decision.strategy is Strategy.FRESH
        uow.revisions.add(
            session_id=outcome.session_id,
            stage=outcome.stage,
            reason=decision.reason,
            instructions=decision.instructions,
            next_attempt=decision.next_attempt,
            seed=(outcome.seed + 1) & _SEED_MASK if fresh else outcome.seed,
            origin_key=f"gate:{version.id}",
            strategy=decision.strategy,
        )
    elif decision.step is NextStep.FAIL:
        reason = (
            f"{outcome.stage} failed its {decision.reason} gate after {outcome.attempt} attempts"
        )
        _transition(uow, session, Transition.STALL, reason)


def outcome_events(
    uow: UnitOfWork,
    outcome: StageOutcome,
    session: SessionRecord,
    version_id: int,
    run_id: str | None,
    summary: str,
) -> None:
    """The events announcing one stored attempt, in the order they happened, each caused by
    the one before."""
    stage = outcome.stage.value
    base = {"stage": stage, "version": outcome.version}
    cause: str | None = None

    def emit(
        event_type: EventType, payload: Mapping[str, object], at: datetime | None = None
    ) -> None:
        nonlocal cause
        event = announce(
            uow, event_type, session, payload, fact=str(version_id), cause=cause, at=at
        )
        cause = event.event_id if event is not None else cause

    generation = {"stage": stage, "model": outcome.model, "prompt_version": outcome.prompt_version}
    started = outcome.started_at
    emit(
        EventType.STAGE_STARTED,
        {"stage": stage, "attempt": outcome.attempt, "run_id": run_id},
        started,
    )
    emit(EventType.AGENT_TASK_REQUESTED, {**generation, "attempt": outcome.attempt}, started)
    emit(
        EventType.AGENT_TASK_COMPLETED,
        {
            **generation,
            "tokens_in": outcome.tokens_in,
            "tokens_out": outcome.tokens_out,
            "latency_ms": round(outcome.latency_ms, 1),
            "calls": list(outcome.calls),
        },
    )
    emit(EventType.CONTENT_GENERATED, {**base, "attempt": outcome.attempt, "summary": summary})
    for verdict in outcome.verdicts:
        findings = [f.model_dump() for f in verdict.findings]
        judged = {**base, "score": verdict.score, "passed": verdict.passed, "findings": findings}
        if verdict.gate == "quality":
            emit(EventType.QUALITY_CHECK_COMPLETED, {**judged, "threshold": verdict.threshold})
        else:
            emit(EventType.CONSISTENCY_CHECK_REQUESTED, base)
            emit(EventType.CONSISTENCY_CHECK_COMPLETED, judged)

    decision = outcome.decision
    if decision.step is NextStep.COMPLETE:
        emit(EventType.STAGE_COMPLETED, {**base, "quality_score": outcome.quality_score})
        if session.review_mode is ReviewMode.AUTO:
            emit(EventType.CONTENT_APPROVED, {**base, "approved_by": "auto"})
    elif decision.step is NextStep.REWRITE:
        rewrite = {
            "stage": stage,
            "reason": decision.reason,
            "next_attempt": decision.next_attempt,
            "instructions": list(decision.instructions),
            "strategy": decision.strategy.value,
            **({"note": decision.note} if decision.note else {}),
        }
        emit(EventType.STAGE_REWRITE_REQUESTED, rewrite)
    else:
        message = "; ".join(
            ([decision.note] if decision.note else []) + list(decision.instructions)
        )
        failed = {
            "stage": stage,
            "attempts": outcome.attempt,
            "error_class": f"{decision.reason}_gate_failed",
            "message": message[:2000],
        }
        emit(EventType.STAGE_FAILED, failed)


def record_stage_failure(
    uow: UnitOfWork,
    session_id: str,
    stage: Stage,
    *,
    error_class: str,
    message: str,
    run_id: str,
) -> None:
    """A permanent error in a stage: `stage.failed`, and the session needs attention."""
    with uow:
        session = uow.sessions.get(session_id)
        if session is None or session.status in (SessionStatus.PAUSED, SessionStatus.CANCELLED):
            return  # the stage stopped because the writer paused or cancelled the session
        latest = uow.artifacts.latest(session_id, stage)
        payload = {
            "stage": stage.value,
            "attempts": latest.attempt if latest else 0,
            "error_class": error_class,
            "message": message[:2000],
            "run_id": run_id,
        }
        if announce(uow, EventType.STAGE_FAILED, session, payload, fact=f"{run_id}:{stage}"):
            reason = f"{stage} failed: {message.splitlines()[0][:300]}"
            _transition(uow, session, Transition.STALL, reason)
        uow.commit()
