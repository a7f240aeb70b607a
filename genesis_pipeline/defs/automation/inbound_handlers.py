"""One handler per inbound event type (docs/CONTRACT.md §4), looked up in a table.

A handler applies its event to the genesis store (idempotently, through the inbox) and adds the
Dagster effects the event asks for to `Effects`; the sensor carries them out. Effects are
derived from the stored state, so a redelivered event asks for the same runs under the same
run keys, and Dagster starts each run once.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg

from genesis_pipeline.defs.automation.jobs import planned_run
from genesis_pipeline.defs.checks import writer_approval
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.inbound import FeedbackSubmitted, Inbound
from genesis_pipeline.service import handlers
from genesis_pipeline.service.handlers import WRITER
from genesis_pipeline.service.planner import Accepted, Requested, Resumed, Trigger, next_runs
from genesis_pipeline.store.genesis_store import GenesisStore, session_state


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


Handler = Callable[[Inbound, HandlerContext, Effects], None]


def plan(ctx: HandlerContext, effects: Effects, session_id: str, trigger: Trigger) -> None:
    """Add the runs the planner asks for after `trigger`, from the session's stored state."""
    with ctx.store.read() as r:
        state = session_state(r, session_id)
    if state is not None:
        effects.run_requests.extend(planned_run(run) for run in next_runs(state, trigger))


def on_session_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.request_session(ctx.store.unit_of_work(), message)
    effects.new_partitions.append(message.session_id)
    plan(ctx, effects, message.session_id, Requested(message.event_id))


def on_pause_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.pause(ctx.store.unit_of_work(), message)
    effects.stop_runs.setdefault(message.session_id, False)


def on_cancel_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.cancel(ctx.store.unit_of_work(), message)
    effects.stop_runs[message.session_id] = True


def on_resume_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.resume(ctx.store.unit_of_work(), message)
    effects.revised_sessions.add(message.session_id)  # pending revisions carry on
    plan(ctx, effects, message.session_id, Resumed(message.event_id))


def on_feedback(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    applied = handlers.feedback(ctx.store.unit_of_work(), message)
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
    plan(ctx, effects, session.session_id, Accepted(message.event_id, approved.stage))


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
