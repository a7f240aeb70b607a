"""The archive of finished sessions, as the genesis store keeps it: which sessions qualify, one
`session.archived` per archival, and a status change that revives an archived session."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import CharacterRequested, Inbound
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.maintenance import Maintenance, archivable_query, stale_review_query
from genesis_pipeline.store.tables import artifact_versions, sessions
from genesis_pipeline_tests.integration.store.conftest import event_types

NOW = datetime.now(UTC)
CUTOFF = NOW - timedelta(days=30)


def finished(store: GenesisStore, session_id: str, status: SessionStatus, days_ago: int) -> None:
    handlers.create_session(
        store.unit_of_work(), session_id, SessionSpec(premise="A premise"), correlation_id="c"
    )
    with store.engine.begin() as conn:
        conn.execute(
            sa.update(sessions)
            .where(sessions.c.session_id == session_id)
            .values(status=status.value, updated_at=NOW - timedelta(days=days_ago))
        )


def archive(store: GenesisStore, session_id: str) -> bool:
    return handlers.archive_session(store.unit_of_work(), session_id, untouched_since=CUTOFF)


def test_finished_sessions_untouched_for_the_period_are_archived_once(store: GenesisStore) -> None:
    finished(store, "done-old", SessionStatus.COMPLETED, days_ago=40)
    finished(store, "gone-old", SessionStatus.CANCELLED, days_ago=31)
    finished(store, "done-new", SessionStatus.COMPLETED, days_ago=2)
    finished(store, "stuck-old", SessionStatus.NEEDS_ATTENTION, days_ago=90)
    finished(store, "paused-old", SessionStatus.PAUSED, days_ago=90)
    maintenance = Maintenance(store)

    assert maintenance.archivable_sessions(untouched_since=CUTOFF, limit=10) == [
        "done-old",  # finished longest ago first
        "gone-old",
    ]
    assert maintenance.archivable_sessions(untouched_since=CUTOFF, limit=1) == ["done-old"]
    assert archive(store, "done-old") and archive(store, "gone-old")
    assert not archive(store, "done-old")  # once
    assert not archive(store, "done-new") and not archive(store, "stuck-old")
    assert maintenance.archivable_sessions(untouched_since=CUTOFF, limit=10) == []

    assert event_types(store, "done-old")[-1] == EventType.SESSION_ARCHIVED
    with store.read() as r:
        archived = r.outbox.for_session("gone-old")[-1]
        session = r.sessions.get("gone-old")
    assert archived.payload == {"status": "cancelled"}
    assert session is not None and session.status is SessionStatus.CANCELLED
    assert session.archived_at is not None and session.archived_at >= NOW - timedelta(minutes=1)


def test_feedback_on_an_archived_session_revives_it(store: GenesisStore) -> None:
    finished(store, "done-old", SessionStatus.COMPLETED, days_ago=40)
    assert archive(store, "done-old")
    message = Inbound(
        event_type=EventType.CHARACTER_REQUESTED,
        envelope=new_event(
            EventType.CHARACTER_REQUESTED,
            session_id="done-old",
            correlation_id="c",
            payload={"role": "rival", "description": "a harbour pilot who lies"},
        ),
        payload=CharacterRequested(role="rival", description="a harbour pilot who lies"),
    )
    handlers.feedback(store.unit_of_work(), message)

    with store.read() as r:
        session = r.sessions.get("done-old")
        revived = r.outbox.for_session("done-old")
    assert session is not None
    assert (session.status, session.archived_at) == (SessionStatus.ACTIVE, None)
    assert [e.event_type for e in revived[-2:]] == [
        EventType.SESSION_REVIVED,
        EventType.STAGE_REWRITE_REQUESTED,
    ]
    assert revived[-2].payload == {"status": "active"}
    assert archive(store, "done-old") is False  # touched now: active, and updated today


@pytest.mark.postgres
def test_the_maintenance_reads_of_live_sessions_use_the_live_index(postgres_url: str) -> None:
    """The archive job and the stale-prompt backfill read the sessions not archived through
    the partial index and their versions through theirs: no scan of every session or version,
    whatever number of archived sessions lie beside them."""
    store = GenesisStore(postgres_url)
    sessions_rows = [
        {
            "session_id": f"s-{uuid.uuid4().hex[:12]}",
            "premise": "p",
            "language": "en",
            "review_mode": "auto",
            "priority": 0,
            "max_attempts": 3,
            "status": "completed" if n % 2 else "active",
            "correlation_id": "c",
            "created_at": NOW,
            "updated_at": NOW - timedelta(days=40, minutes=n),
            "archived_at": None if n % 500 == 0 else NOW,
        }
        for n in range(20_000)
    ]
    version_rows = [
        {
            "session_id": row["session_id"],
            "stage": stage.value,
            "version": 1,
            "attempt": 1,
            "basis_key": "b",
            "status": "passed",
            "content": {},
            "upstream_versions": {},
            "model": "m",
            "prompt_version": f"{stage.value}-v2",
            "tokens_in": 0,
            "tokens_out": 0,
            "latency_ms": 0.0,
            "seed": 0,
            "approved_by": "auto",
            "created_at": NOW,
        }
        for row in sessions_rows
        for stage in Stage
    ]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(sessions), sessions_rows)
        conn.execute(sa.insert(artifact_versions), version_rows)
        conn.execute(sa.text("ANALYZE"))
    prompts = {Stage.CONCEPT: "concept-v9"}
    for query in (
        archivable_query(untouched_since=CUTOFF, limit=500),
        stale_review_query(prompts, default_budget=10**6),
    ):
        with store.engine.connect() as conn:
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_sessions_status_updated_at" in plan, plan
        assert "Seq Scan on sessions" not in plan, plan
        assert "Seq Scan on artifact_versions" not in plan, plan
