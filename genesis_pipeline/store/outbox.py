"""The outbox: events written in the same transaction as the state they announce."""

import sqlalchemy as sa

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.store.repositories import insert_unless_exists, utcnow
from genesis_pipeline.store.tables import outbox


class Outbox:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def add(self, envelope: Envelope, *, fact_key: str) -> bool:
        """Queue an event; False when the fact it announces was already announced."""
        return insert_unless_exists(
            self.conn,
            outbox,
            dict(
                event_id=envelope.event_id,
                event_type=envelope.event_type,
                session_id=envelope.session_id,
                fact_key=fact_key,
                envelope=envelope.model_dump(mode="json"),
                created_at=utcnow(),
            ),
        )

    def for_session(self, session_id: str) -> list[Envelope]:
        rows = self.conn.execute(
            sa.select(outbox.c.envelope)
            .where(outbox.c.session_id == session_id)
            .order_by(outbox.c.id)
        ).scalars()
        return [Envelope.model_validate(e) for e in rows]
