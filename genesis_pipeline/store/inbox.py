"""The inbox: inbound event ids recorded in the same transaction as their effect."""

import sqlalchemy as sa

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.store.repositories import insert_unless_exists, utcnow
from genesis_pipeline.store.tables import inbox


class Inbox:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def claim(self, envelope: Envelope) -> bool:
        """Record an inbound event; False when it already took effect (a redelivery)."""
        return insert_unless_exists(
            self.conn,
            inbox,
            dict(
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                session_id=envelope.session_id,
                received_at=utcnow(),
            ),
        )
