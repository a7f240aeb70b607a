"""The backfills' store queries on SQLite and on PostgreSQL."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.records import PassedStage
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.budgets import SessionBudgets
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.maintenance import Maintenance
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline.store.tables import outbox
from genesis_pipeline_tests.integration.store.conftest import concept_artifact, outcome_for


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> GenesisStore:
    if request.param == "postgresql":
        return GenesisStore(str(request.getfixturevalue("postgres_url")))
    return GenesisStore(f"sqlite:///{tmp_path / 'genesis.db'}")


def queue(db: GenesisStore, count: int, *, sent_hours_ago: float | None) -> list[int]:
    """`count` outbox rows, sent that long ago (None: not sent); their ids."""
    with db.unit_of_work() as uow:
        ids = []
        for _ in range(count):
            event = new_event(
                EventType.SESSION_RESUMED, session_id="s-1", correlation_id="c", payload={}
            )
            uow.outbox.add(event, fact_key=f"test:{event.event_id}")
            ids.append(
                uow.outbox.conn.execute(
                    sa.select(outbox.c.id).where(outbox.c.event_id == event.event_id)
                ).scalar_one()
            )
        if sent_hours_ago is not None:
            sent_at = utcnow() - timedelta(hours=sent_hours_ago)
            uow.outbox.conn.execute(
                sa.update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=sent_at)
            )
        uow.commit()
    return ids


def remaining(db: GenesisStore) -> set[int]:
    with db.read() as r:
        return set(r.outbox.conn.execute(sa.select(outbox.c.id)).scalars())


def test_delete_sent_before_takes_at_most_limit_rows_sent_longest_ago(db):
    newer_old = queue(db, 2, sent_hours_ago=200)
    oldest = queue(db, 2, sent_hours_ago=300)  # larger ids, sent earlier
    recent = queue(db, 2, sent_hours_ago=1)
    unsent = queue(db, 2, sent_hours_ago=None)
    cutoff = utcnow() - timedelta(hours=168)

    with db.unit_of_work() as uow:
        assert uow.outbox.delete_sent_before(cutoff, limit=3) == 3
        uow.commit()
    assert remaining(db) == {newer_old[1], *recent, *unsent}
    assert set(oldest).isdisjoint(remaining(db))

    with db.unit_of_work() as uow:
        assert uow.outbox.delete_sent_before(cutoff, limit=3) == 1
        assert uow.outbox.delete_sent_before(cutoff, limit=3) == 0
        uow.commit()
    assert remaining(db) == {*recent, *unsent}


def test_unsent_rows_are_never_deleted_however_old(db):
    unsent = queue(db, 3, sent_hours_ago=None)
    with db.engine.begin() as conn:
        conn.execute(sa.update(outbox).values(created_at=datetime(2000, 1, 1)))

    deleted = Maintenance(db).delete_sent_outbox(before=utcnow() + timedelta(days=1), batch_size=1)

    assert deleted == 0
    assert remaining(db) == set(unsent)


def test_delete_sent_outbox_works_through_the_backlog_in_batches(db):
    queue(db, 7, sent_hours_ago=200)
    kept = queue(db, 1, sent_hours_ago=1)

    deleted = Maintenance(db).delete_sent_outbox(
        before=utcnow() - timedelta(hours=168), batch_size=2
    )

    assert deleted == 7
    assert remaining(db) == set(kept)


def pass_concept(db: GenesisStore, session_id: str, *, consistency: bool = True) -> None:
    outcome = outcome_for(db, session_id, Stage.CONCEPT, consistency=consistency)
    handlers.record_outcome(
        db.unit_of_work(), outcome, concept_artifact(), run_id="r", summary="concept"
    )


def test_newest_passed_to_review_finds_outdated_prompts_of_sessions_it_may_touch(db):
    spec = SessionSpec(premise="A lighthouse keeper finds a map", max_attempts=5)
    for session_id in ("s-old", "s-revising", "s-paused", "s-low"):
        handlers.create_session(db.unit_of_work(), session_id, spec, correlation_id="c")
    handlers.create_session(
        db.unit_of_work(), "s-high", spec.model_copy(update={"priority": 5}), correlation_id="c"
    )
    for session_id in ("s-old", "s-revising", "s-paused", "s-high", "s-low"):
        pass_concept(db, session_id)  # prompt "t-v1"
    pass_concept(db, "s-old")  # v2 passed; its newest passed version is the one judged
    pass_concept(db, "s-revising", consistency=False)  # v2 failed: a revision is pending
    with db.unit_of_work() as uow:
        uow.sessions.set_status("s-paused", SessionStatus.PAUSED)
        uow.commit()

    stale = Maintenance(db).newest_passed_to_review({Stage.CONCEPT: "t-v2"}, default_budget=10**6)

    assert stale == [
        PassedStage("s-high", Stage.CONCEPT, 1, "t-v1", True),
        PassedStage("s-old", Stage.CONCEPT, 2, "t-v1", True),
        PassedStage("s-low", Stage.CONCEPT, 1, "t-v1", True),
    ]
    assert Maintenance(db).newest_passed_to_review({Stage.CONCEPT: "t-v1"}, default_budget=1) == []

    # A session whose budget is spent is left out: a refresh would stop at its first call.
    budgets = SessionBudgets(db.engine, default_budget=10**6, prices={})
    budgets.charge("s-old", tokens=10**6)
    with db.unit_of_work() as uow:
        uow.sessions.set_budget("s-low", 500)
        uow.commit()
    budgets.charge("s-low", tokens=499)  # one token left: still worth a look
    stale = Maintenance(db).newest_passed_to_review({Stage.CONCEPT: "t-v2"}, default_budget=10**6)
    assert [p.session_id for p in stale] == ["s-high", "s-low"]


def test_completed_sessions_come_in_id_pages(db):
    spec = SessionSpec(premise="A premise")
    for session_id in ("c-3", "c-1", "a-2", "c-2"):
        handlers.create_session(db.unit_of_work(), session_id, spec, correlation_id="c")
    with db.unit_of_work() as uow:
        for session_id in ("c-3", "c-1", "c-2"):
            uow.sessions.set_status(session_id, SessionStatus.COMPLETED)
        uow.commit()
    maintenance = Maintenance(db)

    assert maintenance.completed_sessions(after="", limit=2) == ["c-1", "c-2"]
    assert maintenance.completed_sessions(after="c-2", limit=2) == ["c-3"]
    assert maintenance.completed_sessions(after="c-3", limit=2) == []
