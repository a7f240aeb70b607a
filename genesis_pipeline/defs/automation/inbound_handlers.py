"""One handler per inbound event type (docs/CONTRACT.md §4), looked up in a table, and what a
batch of Kafka records does to Dagster, for either entry point (the sensors, `genesis consume`).

A handler applies its event to the genesis store (idempotently, through the inbox) and adds the
Dagster effects the event asks for to `Effects`; the entry point carries them out. Effects are
derived from the stored state, so a redelivered event asks for the same runs under the same
run keys, and each run starts once.
"""

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg
import sqlalchemy as sa

from genesis_pipeline.defs.automation.jobs import (
    IN_FLIGHT,
    QUEUED,
    ensure_partitions,
    planned_run,
)
from genesis_pipeline.defs.automation.sensors import revision_run_requests
from genesis_pipeline.defs.checks import writer_approval
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.inbound import FeedbackSubmitted, Inbound, Rejected, RejectReason
from genesis_pipeline.domain.metrics import DLQ_MESSAGES
from genesis_pipeline.messaging.codec import decode
from genesis_pipeline.messaging.dlq import dead_letter, dead_letter_counts
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage, Record
from genesis_pipeline.service import handlers
from genesis_pipeline.service.handlers import WRITER
from genesis_pipeline.service.planner import (
    PARTITION_TAG,
    Accepted,
    Requested,
    Resumed,
    Trigger,
    next_runs,
)
from genesis_pipeline.store.genesis_store import GenesisStore, session_state


@dataclass
class Effects:
    run_requests: list[dg.RunRequest] = field(default_factory=list)
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
    plan(ctx, effects, message.session_id, Requested(message.event_id))


def on_pause_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.pause(ctx.store.unit_of_work(), message)
    effects.stop_runs.setdefault(message.session_id, False)


def on_cancel_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.cancel(ctx.store.unit_of_work(), message)
    effects.stop_runs[message.session_id] = True


def on_resume_requested(message: Inbound, ctx: HandlerContext, effects: Effects) -> None:
    handlers.resume(ctx.store.unit_of_work(), message)
    plan(ctx, effects, message.session_id, Resumed(message.event_id))  # pending requests too


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


@dataclass
class Applied:
    """What applying a batch left to do: dead letters to publish before the offsets move past
    them, and the partitions held at a message to read again, (topic, partition) → offset."""

    took_effect: int = 0
    dead: list[OutMessage] = field(default_factory=list)
    held: dict[tuple[str, int], int] = field(default_factory=dict)

    def next_offset(self, topic: str, partition: int, after_batch: int) -> int:
        return self.held.get((topic, partition), after_batch)


def apply_records(
    records: Iterable[Record],
    handlers: Mapping[EventType, Handler],
    ctx: HandlerContext,
    effects: Effects,
    *,
    dlq_topic: str,
    max_attempts: int,
    warn: Callable[[str], None],
) -> Applied:
    """Apply each record through `handlers`, adding to `effects`.

    A rejected message becomes a dead letter. A message whose handler raises anything else
    holds its partition there (the ones after it wait; other partitions go on) and is read
    again, up to `max_attempts` times in all, then becomes a dead letter with reason
    `handler_error`. A transient failure (the database or a connection away) raises: the whole
    batch is read again, and no attempt is counted against any message.
    """
    applied = Applied()
    for record in records:
        where = (record.topic, record.partition)
        if where in applied.held:
            continue  # behind a message that is read again
        coordinates = f"{record.topic}[{record.partition}]@{record.offset}"
        message: Inbound | None = None
        try:
            message = decode(record.value, accepted=handlers.keys())
            handlers[message.event_type](message, ctx, effects)
            applied.took_effect += 1
        except Rejected as rejected:
            warn(f"{coordinates} → DLQ: {rejected}")
            applied.dead.append(dead_letter(record, rejected, dlq_topic=dlq_topic))
        except Exception as error:
            if is_transient(error):
                raise
            summary = one_line(error)
            key = message.event_id if message is not None else coordinates
            attempts = ctx.store.count_inbound_failure(key, summary)
            if attempts < max_attempts:
                warn(f"{coordinates}: attempt {attempts} of {max_attempts} failed: {summary}")
                applied.held[where] = record.offset
                continue
            gave_up = Rejected(RejectReason.HANDLER_ERROR, f"{attempts} attempts: {summary}")
            warn(f"{coordinates} → DLQ: {gave_up}")
            applied.dead.append(dead_letter(record, gave_up, dlq_topic=dlq_topic))
    return applied


async def publish_dead_letters(
    kafka: KafkaConfig, store: GenesisStore, dead: Sequence[OutMessage]
) -> None:
    """Publish a batch's dead letters (before its offsets move past them), then count them."""
    await kafka.publish(dead)
    if dead:
        await asyncio.to_thread(store.add_totals, DLQ_MESSAGES, dead_letter_counts(dead))


def is_transient(error: BaseException) -> bool:
    """The database or a connection went away: the batch waits, no message is to blame."""
    return isinstance(
        error,
        sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError | ConnectionError,
    )


def one_line(error: BaseException) -> str:
    """`ErrorClass: the first line of its message`, for logs and the DLQ's detail."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}"[:500] if lines else type(error).__name__


def carry_out(
    instance: dg.DagsterInstance, ctx: HandlerContext, effects: Effects
) -> list[dg.RunRequest]:
    """Stop the runs and report the approvals `effects` ask for, add the partitions they need
    (a new session's, or an archived one's that the writer revived); return the runs to start,
    one per run key, revision runs included."""
    _stop_runs(instance, effects.stop_runs)
    run_requests = effects.run_requests + revision_run_requests(
        instance, ctx.store, effects.revised_sessions
    )
    sessions = [r.partition_key or "" for r in run_requests]
    ensure_partitions(instance, sessions + [e.partition or "" for e in effects.approvals])
    for evaluation in effects.approvals:
        instance.report_runless_asset_event(evaluation)
    # A message delivered twice in one batch asks for its run twice: one request per key.
    unique = {request.run_key: request for request in run_requests}
    return list(unique.values())


def _stop_runs(instance: dg.DagsterInstance, sessions: Mapping[str, bool]) -> None:
    """Pause cancels a session's queued runs; cancel also terminates the ones in flight."""
    for session_id, in_flight_too in sessions.items():
        statuses = list(IN_FLIGHT if in_flight_too else QUEUED)
        runs = instance.get_run_records(
            dg.RunsFilter(tags={PARTITION_TAG: session_id}, statuses=statuses)
        )
        for record in runs:
            instance.run_coordinator.cancel_run(record.dagster_run.run_id)
