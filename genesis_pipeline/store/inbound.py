"""What inbound commands and feedback change in the genesis store.

Each method is one unit of work: the inbox row of the event, the state it changes and the
events announcing it commit together. A redelivered event finds its inbox row and changes
nothing; the caller then re-derives its Dagster effects from the stored state, which run keys
make idempotent.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import (
    CharacterRequested,
    FeedbackAction,
    FeedbackSubmitted,
    Inbound,
    LifecycleReason,
    Rejected,
    RejectReason,
    WorldviewElementRequested,
)
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.records import SessionRecord, VersionRecord
from genesis_pipeline.store.session_facts import BibleExport, add_session, complete_session
from genesis_pipeline.store.unit_of_work import UnitOfWork

WRITER = "writer"
# Where a lifecycle command is allowed: the state it needs → the state it leaves.
PAUSABLE = (SessionStatus.ACTIVE, SessionStatus.NEEDS_ATTENTION)
CANCELLABLE = (SessionStatus.ACTIVE, SessionStatus.NEEDS_ATTENTION, SessionStatus.PAUSED)


@dataclass(frozen=True)
class Applied:
    """The result of applying one inbound event: `new` is False for a redelivery."""

    new: bool
    session: SessionRecord | None = None
    approved: VersionRecord | None = None


class InboundCommands:
    def __init__(self, store: GenesisStore) -> None:
        self.store = store

    def request_session(self, message: Inbound) -> Applied:
        assert isinstance(message.payload, SessionSpec)
        with self.store.unit_of_work() as uow:
            if not uow.inbox.claim(message.envelope):
                return Applied(new=False, session=uow.sessions.get(message.session_id))
            created = add_session(
                uow,
                message.session_id,
                message.payload,
                correlation_id=message.envelope.correlation_id,
                causation_id=message.event_id,
            )
            if not created:
                raise Rejected(
                    RejectReason.NOT_ALLOWED_IN_STATE,
                    f"session {message.session_id!r} already exists",
                )
            stored = uow.sessions.get(message.session_id)
            uow.commit()
        return Applied(new=True, session=stored)

    def pause(self, message: Inbound) -> Applied:
        return self._lifecycle(
            message, PAUSABLE, SessionStatus.PAUSED, EventType.SESSION_PAUSED, "pause"
        )

    def resume(self, message: Inbound) -> Applied:
        return self._lifecycle(
            message,
            (SessionStatus.PAUSED,),
            SessionStatus.ACTIVE,
            EventType.SESSION_RESUMED,
            "resume",
        )

    def cancel(self, message: Inbound) -> Applied:
        return self._lifecycle(
            message, CANCELLABLE, SessionStatus.CANCELLED, EventType.SESSION_CANCELLED, "cancel"
        )

    def _lifecycle(
        self,
        message: Inbound,
        allowed: tuple[SessionStatus, ...],
        to: SessionStatus,
        event_type: EventType,
        verb: str,
    ) -> Applied:
        reason = message.payload.reason if isinstance(message.payload, LifecycleReason) else None
        with self.store.unit_of_work() as uow:
            session = _session(uow, message)
            if not uow.inbox.claim(message.envelope):
                return Applied(new=False, session=session)
            if session.status not in allowed:
                raise Rejected(
                    RejectReason.NOT_ALLOWED_IN_STATE,
                    f"cannot {verb} session {session.session_id!r}: it is {session.status}",
                )
            uow.sessions.set_status(session.session_id, to, reason)
            if to is SessionStatus.CANCELLED:
                uow.revisions.cancel_pending(session.session_id)
            _announce(uow, message, session, event_type, {"reason": reason}, fact=verb)
            uow.commit()
        return Applied(new=True, session=replace(session, status=to, status_reason=reason))

    def feedback(self, message: Inbound, *, export_bible: BibleExport | None) -> Applied:
        """Accept approves a version; everything else becomes a revision request."""
        payload = message.payload
        if isinstance(payload, FeedbackSubmitted) and payload.action is FeedbackAction.ACCEPT:
            return self._accept(message, payload.stage, export_bible)
        stage, reason, instructions, seed_from = _revision(message)
        with self.store.unit_of_work() as uow:
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
            if session.status is SessionStatus.COMPLETED:  # a change to a finished bible
                uow.sessions.set_status(session.session_id, SessionStatus.ACTIVE)
            payload_out = {
                "stage": stage.value,
                "reason": "request" if reason == "request" else "feedback",
                "next_attempt": 1,
                "instructions": list(instructions),
            }
            _announce(
                uow, message, session, EventType.STAGE_REWRITE_REQUESTED, payload_out, fact="rw"
            )
            uow.commit()
        return Applied(new=True, session=session)

    def _accept(self, message: Inbound, stage: Stage, export_bible: BibleExport | None) -> Applied:
        with self.store.unit_of_work() as uow:
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
            payload = {"stage": stage.value, "version": latest.version, "approved_by": WRITER}
            _announce(uow, message, session, EventType.CONTENT_APPROVED, payload, fact="ok")
            if stage is Stage.STORY_BIBLE:
                location = complete_session(uow, latest, export_bible)
                _announce(
                    uow,
                    message,
                    session,
                    EventType.SESSION_COMPLETED,
                    {"bible_location": location, "bible_version": latest.version},
                    fact="done",
                )
            uow.commit()
        return Applied(new=True, session=session, approved=replace(latest, approved_by=WRITER))


def _session(uow: UnitOfWork, message: Inbound) -> SessionRecord:
    session = uow.sessions.get(message.session_id)
    if session is None:
        raise Rejected(RejectReason.UNKNOWN_SESSION, f"no session {message.session_id!r}")
    return session


def _announce(
    uow: UnitOfWork,
    message: Inbound,
    session: SessionRecord,
    event_type: EventType,
    payload: Mapping[str, object],
    *,
    fact: str,
) -> None:
    event = new_event(
        event_type,
        session_id=session.session_id,
        correlation_id=session.correlation_id,
        causation_id=message.event_id,
        payload=dict(payload),
    )
    uow.outbox.add(event, fact_key=f"{event_type.value}:{fact}:{message.event_id}")


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
    """A new seed for `regenerate`, fixed by the event so a redelivery cannot change it.

    31 bits: the seed columns are INTEGER, signed 32-bit on PostgreSQL.
    """
    return int.from_bytes(hashlib.sha256(source.encode()).digest()[:4], "big") & 0x7FFF_FFFF
