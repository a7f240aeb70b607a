"""Every outbound event is built here, with one fact key scheme.

An event is written to the outbox in the transaction of the fact it announces. Its fact key,
`<event type>:<fact>`, names that fact by what makes it unique: the causing message's
`event_id`, a stored version's id, a run and a stage, a session id. The outbox keeps one row
per fact key, so recording a fact again (a redelivered message, a re-run step) announces
nothing twice.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.service.ports import UnitOfWork


class SessionRef(Protocol):
    """The session an event belongs to: its id and the correlation id of everything in it."""

    @property
    def session_id(self) -> str: ...
    @property
    def correlation_id(self) -> str: ...


def announce(
    uow: UnitOfWork,
    event_type: EventType,
    session: SessionRef,
    payload: Mapping[str, object],
    *,
    fact: str,
    cause: str | None = None,
    at: datetime | None = None,
) -> Envelope | None:
    """Add the event to the outbox; None if this fact was announced already."""
    event = new_event(
        event_type,
        session_id=session.session_id,
        correlation_id=session.correlation_id,
        causation_id=cause,
        payload=dict(payload),
        occurred_at=at,
    )
    return event if uow.outbox.add(event, fact_key=f"{event_type.value}:{fact}") else None
