"""One handler per inbound event type (docs/CONTRACT.md §4), looked up in a table.

A handler applies its event to the genesis store (idempotently, through the inbox) and adds the
Dagster effects the event asks for to `Effects`; the sensor carries them out. Effects are
derived from the stored state, so a redelivered event asks for the same runs under the same
run keys, and Dagster starts each run once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from genesis_pipeline.defs.automation.jobs import stages_run
from genesis_pipeline.defs.automation.revision_planner import session_tags
from genesis_pipeline.defs.automation.sensors import stages_left
from genesis_pipeline.defs.checks import writer_approval
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.inbound import FeedbackSubmitted, Inbound
from genesis_pipeline.domain.records import SessionRecord
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage, stage_and_downstream
from genesis_pipeline.service import handlers
from genesis_pipeline.service.handlers import WRITER, BibleExport
from genesis_pipeline.store.genesis_store import GenesisStore


@dataclass
class Effects:
    run_requests: list[dg.RunRequest] = field(default_factory=list)
    new_partitions: list[str] = field(default_factory=list)
    # session id → also terminate runs that already started (cancel), not only queued (pause)
    stop_runs: dict[str, bool] = field(default_factory=dict)
    approvals: list[dg.AssetCheckEvaluation] = field(default_factory=list)
    # sessions with new revision requests: planned together once the whole batch is applied
    revised_sessions: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class HandlerContext:
    store: GenesisStore
    export_bible: BibleExport | None = None


Handler = Callable[[Inbound, HandlerContext, Effects], None]


def run_request(
    session: SessionRecord, stages: tuple[Stage, ...], *, run_key: str
) -> dg.RunRequest:
    return stages_run(
        session.session_id,
        stages,
        run_key=run_key,
        tags=session_tags(session.session_id, session.spec.priority),
    )


def on_session_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    applied = handlers.request_session(ctx.store.unit_of_work(), message)
    assert applied.session is not None
    effects.new_partitions.append(message.session_id)
    effects.run_requests.append(
        run_request(applied.session, STAGE_ORDER, run_key=f"session:{message.event_id}")
    )


def on_pause_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.pause(ctx.store.unit_of_work(), message)
    effects.stop_runs.setdefault(message.session_id, False)


def on_cancel_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.cancel(ctx.store.unit_of_work(), message)
    effects.stop_runs[message.session_id] = True


def on_resume_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    applied = handlers.resume(ctx.store.unit_of_work(), message)
    session = applied.session
    if session is None or session.status is not SessionStatus.ACTIVE:
        return
    with ctx.store.read() as r:
        if r.revisions.pending_for_session(session.session_id):
            effects.revised_sessions.add(session.session_id)  # the revision runs carry on
            return
        stages = stages_left(r, session.session_id)
    if stages:
        effects.run_requests.append(
            run_request(session, stages, run_key=f"resume:{message.event_id}")
        )


def on_feedback(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    applied = handlers.feedback(ctx.store.unit_of_work(), message, export_bible=ctx.export_bible)
    if not isinstance(message.payload, FeedbackSubmitted) or applied.approved is None:
        effects.revised_sessions.add(message.session_id)
        return
    approved, session = applied.approved, applied.session
    if approved.approved_by != WRITER or session is None:
        return  # approved automatically already: nothing waits for this accept
    if applied.new:
        effects.approvals.append(
            writer_approval(
                approved.stage,
                session_id=session.session_id,
                version=approved.version,
                approved_by=WRITER,
            )
        )
    downstream = stage_and_downstream(approved.stage)[1:]
    if downstream and session.status is SessionStatus.ACTIVE:
        effects.run_requests.append(
            run_request(session, downstream, run_key=f"accept:{message.event_id}")
        )


COMMAND_HANDLERS: dict[EventType, Handler] = {
    EventType.SESSION_REQUESTED: on_session_requested,
    EventType.SESSION_PAUSE_REQUESTED: on_pause_requested,
    EventType.SESSION_RESUME_REQUESTED: on_resume_requested,
    EventType.SESSION_CANCEL_REQUESTED: on_cancel_requested,
}

FEEDBACK_HANDLERS: dict[EventType, Handler] = {
    EventType.FEEDBACK_SUBMITTED: on_feedback,
    EventType.CHARACTER_REQUESTED: on_feedback,
    EventType.WORLDVIEW_ELEMENT_REQUESTED: on_feedback,
}
