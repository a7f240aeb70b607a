"""Rows written straight into the genesis store, for states the code itself never writes."""

import sqlalchemy as sa

from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline.store.tables import sessions


def corrupt_session(store: GenesisStore, session_id: str) -> None:
    """A row no handler can read: its status is not one the code knows."""
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(sessions).values(
                session_id=session_id,
                premise="A premise",
                language="en",
                review_mode="auto",
                priority=0,
                max_attempts=3,
                status="bogus",
                correlation_id="c",
                created_at=now,
                updated_at=now,
            )
        )
