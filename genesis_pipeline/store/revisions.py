"""Revision requests: a failed gate or the writer asking a stage to be redone."""

import sqlalchemy as sa

from genesis_pipeline.domain.outcome import Strategy
from genesis_pipeline.domain.records import RevisionRequestRecord
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.store.repositories import as_utc, insert_unless_exists, utcnow
from genesis_pipeline.store.tables import revision_requests


def _request(row: sa.RowMapping) -> RevisionRequestRecord:
    return RevisionRequestRecord(
        id=row["id"],
        session_id=row["session_id"],
        stage=Stage(row["stage"]),
        reason=row["reason"],
        instructions=tuple(row["instructions"]),
        next_attempt=row["next_attempt"],
        seed=row["seed"],
        status=row["status"],
        created_at=as_utc(row["created_at"]),
        strategy=Strategy(row["strategy"]),
    )


class Revisions:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def add(
        self,
        *,
        session_id: str,
        stage: Stage,
        reason: str,
        instructions: tuple[str, ...],
        next_attempt: int,
        seed: int,
        origin_key: str,
        strategy: Strategy = Strategy.REVISE,
    ) -> bool:
        return insert_unless_exists(
            self.conn,
            revision_requests,
            dict(
                session_id=session_id,
                stage=stage.value,
                reason=reason,
                instructions=list(instructions),
                next_attempt=next_attempt,
                seed=seed,
                strategy=strategy.value,
                status="pending",
                origin_key=origin_key,
                created_at=utcnow(),
            ),
        )

    def pending_for(self, session_id: str, stage: Stage) -> list[RevisionRequestRecord]:
        """Pending requests of one stage, oldest first: one attempt answers them all."""
        rows = self.conn.execute(
            sa.select(revision_requests)
            .where(
                revision_requests.c.session_id == session_id,
                revision_requests.c.stage == stage.value,
                revision_requests.c.status == "pending",
            )
            .order_by(revision_requests.c.id)
        ).mappings()
        return [_request(r) for r in rows]

    def pending_for_session(self, session_id: str) -> list[RevisionRequestRecord]:
        rows = self.conn.execute(
            sa.select(revision_requests)
            .where(
                revision_requests.c.session_id == session_id,
                revision_requests.c.status == "pending",
            )
            .order_by(revision_requests.c.id)
        ).mappings()
        return [_request(r) for r in rows]

    def pending(self, *, after_id: int, limit: int) -> list[RevisionRequestRecord]:
        rows = self.conn.execute(
            sa.select(revision_requests)
            .where(revision_requests.c.status == "pending", revision_requests.c.id > after_id)
            .order_by(revision_requests.c.id)
            .limit(limit)
        ).mappings()
        return [_request(r) for r in rows]

    def cancel_pending(self, session_id: str) -> None:
        self.conn.execute(
            sa.update(revision_requests)
            .where(
                revision_requests.c.session_id == session_id,
                revision_requests.c.status == "pending",
            )
            .values(status="cancelled")
        )

    def resolve(self, session_id: str, stage: Stage, *, up_to: int | None) -> None:
        """Mark the requests a stored version answered; newer ones stay pending for their run."""
        if up_to is None:
            return
        self.conn.execute(
            sa.update(revision_requests)
            .where(
                revision_requests.c.session_id == session_id,
                revision_requests.c.stage == stage.value,
                revision_requests.c.status == "pending",
                revision_requests.c.id <= up_to,
            )
            .values(status="done")
        )
