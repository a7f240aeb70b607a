"""`genesis session new`: request a session over Kafka and, with --wait, follow it to its end."""

import asyncio
import sys
import uuid
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError
from rich.markup import escape

from genesis_pipeline.cli.common import (
    budget_tokens_option,
    console,
    errors,
    fail_usage,
    fail_work,
    first_error,
)
from genesis_pipeline.cli.publishing import (
    kafka_config,
    publish,
    publish_for_session,
    valid_session_id,
)

if TYPE_CHECKING:
    from genesis_pipeline.domain.events import Envelope, EventType
    from genesis_pipeline.messaging.kafka import KafkaConfig


@click.group()
def session() -> None:
    """Sessions over Kafka: request one and follow it."""


@session.command("new")
@click.option("--premise", required=True, help="The writer's premise (1-4000 characters).")
@click.option("--genre", default=None, help="Genre, e.g. fantasy, mystery, science fiction.")
@click.option("--audience", default=None, help="Intended audience, e.g. adult, young adult.")
@click.option("--language", default=None, help="Language of the bible (default: en).")
@click.option(
    "--review-mode",
    default="auto",
    show_default=True,
    metavar="auto|human",
    help="human: every stage waits for `genesis feedback … accept`.",
)
@click.option("--priority", type=int, default=0, show_default=True, help="-10 … 10.")
@click.option("--max-attempts", type=int, default=3, show_default=True, help="Attempts per stage.")
@click.option("--session-id", default=None, help="Session id (default: made from the premise).")
@budget_tokens_option()
@click.option("--wait", is_flag=True, help="Show the session's progress until it ends.")
@click.option(
    "--timeout",
    type=float,
    default=1800.0,
    show_default=True,
    metavar="SECONDS",
    help="With --wait: give up waiting after this long (exit 1; the session goes on).",
)
def session_new(
    premise: str,
    genre: str | None,
    audience: str | None,
    language: str | None,
    review_mode: str,
    priority: int,
    max_attempts: int,
    session_id: str | None,
    budget_tokens: int | None,
    wait: bool,
    timeout: float,
) -> None:
    """Publish `genesis.session.requested` to genesis.commands; --wait follows it to the end."""
    from genesis_pipeline.domain.session import ReviewMode, SessionSpec

    fields: dict[str, Any] = dict(
        premise=premise,
        genre=genre,
        audience=audience,
        review_mode=review_mode,
        priority=priority,
        max_attempts=max_attempts,
        budget_tokens=budget_tokens,
    )
    if language is not None:
        fields["language"] = language
    try:
        spec = SessionSpec.model_validate(fields)
    except ValidationError as error:
        fail_usage(first_error(error))
    if session_id is not None:
        valid_session_id(session_id)
    if wait and timeout <= 0:
        fail_usage(f"--timeout must be more than 0 seconds, got {timeout:g}")

    from genesis_pipeline.domain.events import EventType, new_event
    from genesis_pipeline.messaging.topics import Topic

    config = kafka_config()
    if session_id is None:
        from genesis_pipeline.domain.session import new_session_id

        session_id = new_session_id(spec.premise)
    request = new_event(
        EventType.SESSION_REQUESTED,
        session_id=session_id,
        correlation_id=str(uuid.uuid4()),  # everything the request causes will carry it
        payload=spec.model_dump(mode="json", exclude_none=True),
    )
    publish(config, Topic.COMMANDS, request)
    if not wait:
        console.print(f"follow it: genesis events tail --session {session_id}", highlight=False)
        return
    _wait_for(config, request, human=spec.review_mode is ReviewMode.HUMAN, timeout=timeout)


def _wait_for(config: "KafkaConfig", request: "Envelope", *, human: bool, timeout: float) -> None:
    from genesis_pipeline.cli.event_lines import progress_line
    from genesis_pipeline.cli.session_watch import WatchEnd, watch_session
    from genesis_pipeline.domain.events import Envelope, EventType
    from genesis_pipeline.messaging.kafka import KafkaUnavailableError

    session_id = request.session_id

    def show(event: Envelope) -> None:
        line = progress_line(event)
        if line is not None:
            console.print(line, highlight=False, soft_wrap=True)
        if human and event.event_type == EventType.STAGE_COMPLETED:
            stage = escape(str(event.payload.get("stage", "STAGE")))
            console.print(
                f"         approve it: [bold]genesis feedback {session_id} {stage} accept[/] "
                "(or modify --instructions …, or regenerate)",
                highlight=False,
                soft_wrap=True,
            )

    async def watch() -> WatchEnd:
        async with asyncio.timeout(timeout):
            return await watch_session(
                config,
                session_id=session_id,
                correlation_id=request.correlation_id,
                request_event_id=request.event_id,
                on_event=show,
            )

    try:
        with console.status(f"waiting for session {session_id} …"):
            end = asyncio.run(watch())
    except KafkaUnavailableError as error:
        fail_work(f"cannot follow the session: {error}")
    except TimeoutError:
        fail_work(
            f"no end of session {session_id} within {timeout:g}s; it goes on in the pipeline "
            f"(`genesis events tail --session {session_id}`)"
        )
    except KeyboardInterrupt:  # only the watching stops; the session goes on in the pipeline
        errors.print(f"stopped watching; session {session_id} goes on", highlight=False)
        sys.exit(130)
    if end.exit_code == 0:
        console.print(end.message, highlight=False, soft_wrap=True)
        return
    fail_work(end.message)


def _publish_command(event_type: "EventType", session_id: str, payload: dict[str, Any]) -> None:
    from genesis_pipeline.messaging.topics import Topic

    valid_session_id(session_id)
    publish_for_session(Topic.COMMANDS, event_type, session_id, payload)


@session.command("pause")
@click.argument("session_id", metavar="SESSION")
@click.option("--reason", default=None, help="Why (shown in `genesis status`; ≤2000 chars).")
def session_pause(session_id: str, reason: str | None) -> None:
    """Publish `genesis.session.pause_requested`: queued runs are cancelled, a running one
    stops before its next stage."""
    from genesis_pipeline.domain.events import EventType

    _publish_command(EventType.SESSION_PAUSE_REQUESTED, session_id, _reason(reason))


@session.command("resume")
@click.argument("session_id", metavar="SESSION")
@budget_tokens_option("A new token budget for the session: also resumes one its budget stopped.")
def session_resume(session_id: str, budget_tokens: int | None) -> None:
    """Publish `genesis.session.resume_requested`: a paused session (or, with --budget-tokens,
    one that needs attention because its budget ran out) runs what is left."""
    from genesis_pipeline.domain.events import EventType
    from genesis_pipeline.domain.inbound import ResumeRequested

    try:
        payload = ResumeRequested(budget_tokens=budget_tokens)
    except ValidationError as error:
        fail_usage(first_error(error))
    payload_json = payload.model_dump(mode="json", exclude_none=True)
    _publish_command(EventType.SESSION_RESUME_REQUESTED, session_id, payload_json)


@session.command("cancel")
@click.argument("session_id", metavar="SESSION")
@click.option("--reason", default=None, help="Why (shown in `genesis status`; ≤2000 chars).")
def session_cancel(session_id: str, reason: str | None) -> None:
    """Publish `genesis.session.cancel_requested`: runs in flight are terminated."""
    from genesis_pipeline.domain.events import EventType

    _publish_command(EventType.SESSION_CANCEL_REQUESTED, session_id, _reason(reason))


def _reason(reason: str | None) -> dict[str, Any]:
    from genesis_pipeline.domain.inbound import LifecycleReason

    try:
        return LifecycleReason(reason=reason).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        fail_usage(first_error(error))
