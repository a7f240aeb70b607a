"""`genesis feedback`, `genesis add-character`, `genesis add-world-element`: the writer's
feedback and requested additions, published to genesis.feedback (docs/CONTRACT.md §4, §7)."""

from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from genesis_pipeline.cli.common import fail_usage, first_error
from genesis_pipeline.cli.publishing import publish_for_session, valid_session_id
from genesis_pipeline.domain.stages import parse_stage

if TYPE_CHECKING:
    from genesis_pipeline.domain.events import EventType


def _publish_feedback(event_type: "EventType", session_id: str, payload: dict[str, Any]) -> None:
    from genesis_pipeline.messaging.topics import Topic

    publish_for_session(Topic.FEEDBACK, event_type, session_id, payload)


@click.command()
@click.argument("session_id", metavar="SESSION")
@click.argument("stage", metavar="STAGE")
@click.argument("action", metavar="accept|modify|regenerate")
@click.option("--instructions", default=None, help="What to change (required for modify).")
def feedback(session_id: str, stage: str, action: str, instructions: str | None) -> None:
    """Publish `genesis.feedback.submitted` for one stage of a session.

    STAGE is one of: concept, story, worldview, characters, plot_outline, story_bible.
    """
    from genesis_pipeline.domain.events import EventType
    from genesis_pipeline.domain.inbound import FeedbackSubmitted

    valid_session_id(session_id)
    try:
        parse_stage(stage)
        payload = FeedbackSubmitted.model_validate(
            {"stage": stage, "action": action, "instructions": instructions}
        )
    except ValueError as error:  # ValidationError is a ValueError
        fail_usage(first_error(error))
    _publish_feedback(
        EventType.FEEDBACK_SUBMITTED, session_id, payload.model_dump(mode="json", exclude_none=True)
    )


@click.command("add-character")
@click.argument("session_id", metavar="SESSION")
@click.option("--role", required=True, help="The character's role, e.g. rival, mentor.")
@click.option("--description", required=True, help="Who they are and why they matter.")
@click.option("--name", default=None, help="A name (default: the pipeline picks one).")
def add_character(session_id: str, role: str, description: str, name: str | None) -> None:
    """Ask for a new character: revises `characters` and everything downstream."""
    from genesis_pipeline.domain.events import EventType
    from genesis_pipeline.domain.inbound import CharacterRequested

    valid_session_id(session_id)
    try:
        payload = CharacterRequested.model_validate(
            {"role": role, "description": description, "name": name}
        )
    except ValidationError as error:
        fail_usage(first_error(error))
    _publish_feedback(
        EventType.CHARACTER_REQUESTED,
        session_id,
        payload.model_dump(mode="json", exclude_none=True),
    )


@click.command("add-world-element")
@click.argument("session_id", metavar="SESSION")
@click.option("--kind", required=True, metavar="location|faction|rule", help="What to add.")
@click.option("--description", required=True, help="What it is and how it fits the world.")
def add_world_element(session_id: str, kind: str, description: str) -> None:
    """Ask for a new location, faction or rule: revises `worldview` and everything downstream."""
    from genesis_pipeline.domain.events import EventType
    from genesis_pipeline.domain.inbound import WorldviewElementRequested

    valid_session_id(session_id)
    try:
        payload = WorldviewElementRequested.model_validate(
            {"kind": kind, "description": description}
        )
    except ValidationError as error:
        fail_usage(first_error(error))
    _publish_feedback(
        EventType.WORLDVIEW_ELEMENT_REQUESTED, session_id, payload.model_dump(mode="json")
    )
