"""The inbox: inbound event ids recorded in the same transaction as their effect, and the
count of failed attempts at messages whose handler raised."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.store.repositories import insert_unless_exists, utcnow
from genesis_pipeline.store.tables import inbound_failures, inbox


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

    def count_failure(self, message_key: str, error: str) -> int:
        """Count one more failed attempt at a message; the attempts so far, this one included."""
        now = utcnow()
        dialect = sqlite if self.conn.dialect.name == "sqlite" else postgresql
        insert = dialect.insert(inbound_failures).values(
            message_key=message_key,
            attempts=1,
            last_error=error,
            first_failed_at=now,
            last_failed_at=now,
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[inbound_failures.c.message_key],
            set_=dict(
                attempts=inbound_failures.c.attempts + 1,
                last_error=insert.excluded.last_error,
                last_failed_at=insert.excluded.last_failed_at,
            ),
        )
        return int(self.conn.execute(upsert.returning(inbound_failures.c.attempts)).scalar_one())
