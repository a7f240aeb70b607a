"""The outbox: events written in the same transaction as the state they announce."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.store.repositories import as_utc, insert_unless_exists, utcnow
from genesis_pipeline.store.tables import outbox


@dataclass(frozen=True)
class PendingEvent:
    id: int
    session_id: str
    envelope: Envelope


@dataclass(frozen=True)
class ClaimedBatch:
    """Unsent rows locked by this transaction, and how many of them wait behind another relay."""

    events: list[PendingEvent]
    held_back: int = 0

    @property
    def claimed(self) -> int:
        return len(self.events) + self.held_back


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

    def claim_unsent(self, limit: int) -> ClaimedBatch:
        """Lock up to `limit` unsent rows in id order, for the rest of this transaction.

        On PostgreSQL `SKIP LOCKED` lets several relays claim disjoint batches at once. The
        rows a relay skipped belong to another relay that may not have published them yet, so
        a session's rows after its first such row are held back: publishing them now would
        put them on the topic before the older ones. On SQLite the unit of work's
        `BEGIN IMMEDIATE` already serializes relays and nothing is ever held back.
        """
        # The envelope as its stored text: pydantic parses JSON text in one step, faster
        # than the driver's json.loads followed by validating the dict.
        envelope = sa.cast(outbox.c.envelope, sa.Text).label("envelope")
        rows = self.conn.execute(
            sa.select(outbox.c.id, outbox.c.session_id, envelope)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # SQLite renders no FOR UPDATE
        ).all()
        if not rows:
            return ClaimedBatch(events=[])
        claimed = {row.id for row in rows}
        blocked_from = self._first_unsent_elsewhere(up_to=rows[-1].id, claimed=claimed)
        events = [
            PendingEvent(row.id, row.session_id, Envelope.model_validate_json(row.envelope))
            for row in rows
            if row.id < blocked_from.get(row.session_id, math.inf)
        ]
        return ClaimedBatch(events=events, held_back=len(rows) - len(events))

    def _first_unsent_elsewhere(self, *, up_to: int, claimed: set[int]) -> dict[str, int]:
        """Per session, the oldest unsent row up to `up_to` that this batch does not hold.

        Two narrow columns over the (sent_at, id) index rather than an `IN` list of the
        batch's ids: cheap, and no bind-parameter limit to mind.
        """
        unsent = self.conn.execute(
            sa.select(outbox.c.id, outbox.c.session_id)
            .where(outbox.c.sent_at.is_(None), outbox.c.id <= up_to)
            .order_by(outbox.c.id)
        ).all()
        first: dict[str, int] = {}
        for row in unsent:
            if row.id not in claimed:
                first.setdefault(row.session_id, row.id)
        return first

    def mark_sent(self, ids: Sequence[int]) -> None:
        if ids:
            self.conn.execute(
                sa.update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=utcnow())
            )

    def oldest_unsent_at(self) -> datetime | None:
        """When the oldest unsent event was written: the first unsent id (the (sent_at, id)
        index), not a scan of the sent rows."""
        created_at = self.conn.execute(
            sa.select(outbox.c.created_at)
            .where(outbox.c.sent_at.is_(None))
            .order_by(outbox.c.id)
            .limit(1)
        ).scalar()
        return None if created_at is None else as_utc(created_at)

    def has_unsent(self) -> bool:
        return self.oldest_unsent_at() is not None

    def unsent_count(self) -> int:
        count = self.conn.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        ).scalar_one()
        return int(count)

    def delete_sent_before(self, cutoff: datetime, *, limit: int) -> int:
        """Delete up to `limit` rows sent before `cutoff`, oldest first; unsent rows never go.

        The ids are chosen in a subquery because neither SQLite nor PostgreSQL accepts
        `DELETE … LIMIT`; ordered like the (sent_at, id) index, so a batch reads only its own
        rows however large the backlog. `cutoff` must be UTC, as `sent_at` is.
        """
        batch = (
            sa.select(outbox.c.id)
            .where(outbox.c.sent_at.is_not(None), outbox.c.sent_at < cutoff)
            .order_by(outbox.c.sent_at, outbox.c.id)
            .limit(limit)
            .scalar_subquery()
        )
        result = self.conn.execute(sa.delete(outbox).where(outbox.c.id.in_(batch)))
        return int(result.rowcount)
