"""The inbox: inbound event ids recorded in the same transaction as their effect, and the
count of failed attempts at messages whose handler raised."""

from datetime import datetime

import sqlalchemy as sa

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.store.repositories import insert_unless_exists, upsert_insert, utcnow
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
        insert = upsert_insert(
            self.conn,
            inbound_failures,
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

    def delete_received_before(self, cutoff: datetime, *, limit: int) -> int:
        """Delete up to `limit` inbox rows received before `cutoff`, oldest first (the
        received_at index), and the failure counts of messages last tried before it."""
        batch = (
            sa.select(inbox.c.event_id)
            .where(inbox.c.received_at < cutoff)
            .order_by(inbox.c.received_at)
            .limit(limit)
            .scalar_subquery()
        )
        result = self.conn.execute(sa.delete(inbox).where(inbox.c.event_id.in_(batch)))
        self.conn.execute(
            sa.delete(inbound_failures).where(inbound_failures.c.last_failed_at < cutoff)
        )
        return int(result.rowcount)
