"""Runs racing for the same session and stage: one version per attempt, one event per fact.

Several writers, released together by a barrier, store the same fact at once: threads (each
with a GenesisStore of its own; stores of one process share its engine's pool, so each writer
works on its own connection and transaction) and separate processes (each with its own
engine, as under Dagster's multiprocess executor or several run workers). Whatever the
interleaving, the store's unique keys leave one artifact version per attempt and one outbox
row per fact, and every writer gets a clear answer instead of a driver error: the stored
record, `False` for a session that already exists, or `ConcurrentVersionError` when another
basis took the version number first.
"""

import multiprocessing
import queue
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.artifacts import Artifact
from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.inbound import Inbound, Rejected, RejectReason
from genesis_pipeline.domain.outcome import StageOutcome
from genesis_pipeline.domain.records import VersionRecord
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.service.handlers import Applied, ConcurrentVersionError
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import artifact_versions, inbox, outbox, sessions
from genesis_pipeline_tests.integration.store.conftest import (
    PASSED_EVENTS,
    concept_artifact,
    event_types,
    outcome_for,
)

WRITERS = 6
PROCESSES = 4
GATE_EVENTS = PASSED_EVENTS[:7]  # from stage.started to consistency.check.completed


def race(stores: list[GenesisStore], write: Callable[[GenesisStore, int], Any]) -> list[Any]:
    """`write(store, index)` in one thread per store, released together; each result or the
    exception that escaped."""
    start = threading.Barrier(len(stores), timeout=30)
    results: list[Any] = [None] * len(stores)

    def writer(index: int) -> None:
        start.wait()
        try:
            results[index] = write(stores[index], index)
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return results


def writers(store: GenesisStore, count: int = WRITERS) -> list[GenesisStore]:
    return [GenesisStore(store.url) for _ in range(count)]


def stored_versions(store: GenesisStore, session_id: str, stage: Stage) -> list[sa.Row[Any]]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(
                    artifact_versions.c.id,
                    artifact_versions.c.version,
                    artifact_versions.c.attempt,
                    artifact_versions.c.basis_key,
                    artifact_versions.c.run_id,
                )
                .where(
                    artifact_versions.c.session_id == session_id,
                    artifact_versions.c.stage == stage.value,
                )
                .order_by(artifact_versions.c.version)
            )
        )


def fact_keys(store: GenesisStore, session_id: str) -> list[str]:
    with store.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(outbox.c.fact_key).where(outbox.c.session_id == session_id)
            ).scalars()
        )


def session_rows(store: GenesisStore, session_id: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).where(sessions.c.session_id == session_id)
        ).scalar_one()


def assert_one_version_of(
    store: GenesisStore, outcome: StageOutcome, version_ids: list[int], run_ids: list[str]
) -> None:
    """Every writer got the one stored version back, with its gate results; one writer's run
    stored it."""
    rows = stored_versions(store, outcome.session_id, outcome.stage)
    assert [row.version for row in rows] == list(range(1, outcome.version + 1))
    [stored] = [row for row in rows if row.attempt == outcome.attempt]
    assert stored.version == outcome.version
    assert set(version_ids) == {stored.id}
    assert stored.run_id in run_ids
    with store.read() as r:
        assert [g.gate for g in r.gates.for_version(stored.id)] == ["quality", "consistency"]
    keys = fact_keys(store, outcome.session_id)
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(
    ("gates", "earlier_attempts", "decision_events", "pending_revisions"),
    [
        pytest.param(
            {}, 0, ["genesis.stage.completed", "genesis.content.approved"], 0, id="passed"
        ),
        pytest.param({"quality": False}, 0, ["genesis.stage.rewrite_requested"], 1, id="rewrite"),
        pytest.param(
            {"consistency": False}, 1, ["genesis.stage.failed"], 0, id="last-attempt-fails"
        ),
    ],
)
def test_runs_racing_on_one_attempt_store_one_version_with_one_event_per_fact(
    store: GenesisStore,
    session_id: str,
    gates: dict[str, bool],
    earlier_attempts: int,
    decision_events: list[str],
    pending_revisions: int,
) -> None:
    for _ in range(earlier_attempts):
        earlier = outcome_for(store, session_id, Stage.CONCEPT, **gates)
        handlers.record_outcome(
            store.unit_of_work(), earlier, concept_artifact(), run_id="earlier", summary="s"
        )
    before = len(event_types(store, session_id))
    outcome = outcome_for(store, session_id, Stage.CONCEPT, **gates)
    artifact = concept_artifact()
    run_ids = [f"run-{i}" for i in range(WRITERS)]

    results = race(
        writers(store),
        lambda s, i: handlers.record_outcome(
            s.unit_of_work(), outcome, artifact, run_id=run_ids[i], summary="s"
        ),
    )

    assert all(isinstance(r, VersionRecord) for r in results), results
    assert_one_version_of(store, outcome, [r.id for r in results], run_ids)
    assert event_types(store, session_id)[before:] == [*GATE_EVENTS, *decision_events]
    with store.read() as r:
        assert len(r.revisions.pending_for(session_id, Stage.CONCEPT)) == pending_revisions
    if earlier_attempts:  # max_attempts=2: this was the last one
        assert store.session(session_id).status is SessionStatus.NEEDS_ATTENTION


def test_attempts_from_different_bases_racing_for_one_version_number_get_one_each(
    store: GenesisStore, session_id: str
) -> None:
    """Both briefs promised version 1. The first to commit keeps it; the others are refused
    with `ConcurrentVersionError` (never a unique-key error from the driver), and a retry,
    which reads a fresh brief as a retried Dagster step does, stores the next free number."""
    brief_outcome = outcome_for(store, session_id, Stage.CONCEPT)

    def own_basis(outcome: StageOutcome, index: int) -> StageOutcome:
        return outcome.model_copy(update={"basis_key": f"{outcome.basis_key}|run={index}"})

    first_round = race(
        writers(store),
        lambda s, i: handlers.record_outcome(
            s.unit_of_work(),
            own_basis(brief_outcome, i),
            concept_artifact(f"Run {i}"),
            run_id=f"r{i}",
            summary="s",
        ),
    )
    winners = [r for r in first_round if isinstance(r, VersionRecord)]
    refused = [i for i, r in enumerate(first_round) if isinstance(r, ConcurrentVersionError)]
    assert len(winners) == 1 and len(refused) == WRITERS - 1, first_round
    assert winners[0].version == 1

    def retry_until_stored(s: GenesisStore, index: int) -> VersionRecord:
        for _ in range(WRITERS):
            outcome = own_basis(outcome_for(s, session_id, Stage.CONCEPT), refused[index])
            try:
                return handlers.record_outcome(
                    s.unit_of_work(),
                    outcome,
                    concept_artifact(),
                    run_id=f"r{refused[index]}",
                    summary="s",
                )
            except ConcurrentVersionError:
                continue
        raise AssertionError(f"run {refused[index]} never stored its version")

    retried = race(writers(store, len(refused)), retry_until_stored)

    assert all(isinstance(r, VersionRecord) for r in retried), retried
    rows = stored_versions(store, session_id, Stage.CONCEPT)
    assert [row.version for row in rows] == list(range(1, WRITERS + 1))
    assert Counter(row.basis_key.rsplit("|run=", 1)[1] for row in rows) == Counter(
        str(i) for i in range(WRITERS)
    )
    with store.read() as r:
        generated = [
            e.payload["version"]
            for e in r.outbox.for_session(session_id)
            if e.event_type == "genesis.content.generated"
        ]
    assert sorted(generated) == list(range(1, WRITERS + 1))


def test_the_same_session_created_at_once_is_created_once(store: GenesisStore) -> None:
    spec = SessionSpec(premise="Two runs, one harbor")

    results = race(
        writers(store),
        lambda s, i: handlers.create_session(
            s.unit_of_work(), "s-race", spec, correlation_id=f"corr-{i}"
        ),
    )

    assert sorted(results) == [False] * (WRITERS - 1) + [True]
    assert session_rows(store, "s-race") == 1
    with store.read() as r:
        [created] = r.outbox.for_session("s-race")
    assert created.event_type == "genesis.session.created"
    # The one event announces the row that was stored, not a loser's attempt at it.
    assert created.correlation_id == store.session("s-race").correlation_id


def session_requested(session_id: str, spec: SessionSpec, *, correlation_id: str) -> Inbound:
    envelope = new_event(
        EventType.SESSION_REQUESTED,
        session_id=session_id,
        correlation_id=correlation_id,
        payload=spec.model_dump(mode="json"),
    )
    return Inbound(envelope=envelope, event_type=EventType.SESSION_REQUESTED, payload=spec)


def test_one_session_request_delivered_to_several_consumers_at_once_takes_effect_once(
    store: GenesisStore,
) -> None:
    message = session_requested("s-redelivered", SessionSpec(premise="p"), correlation_id="c")

    results = race(writers(store), lambda s, i: handlers.request_session(s.unit_of_work(), message))

    assert all(isinstance(r, Applied) for r in results), results
    assert sorted(r.new for r in results) == [False] * (WRITERS - 1) + [True]
    assert all(r.session is not None and r.session.session_id == "s-redelivered" for r in results)
    assert session_rows(store, "s-redelivered") == 1
    assert event_types(store, "s-redelivered") == ["genesis.session.created"]


def test_different_requests_for_one_session_at_once_create_it_once_and_reject_the_rest(
    store: GenesisStore,
) -> None:
    spec = SessionSpec(premise="p")
    messages = [
        session_requested("s-contested", spec, correlation_id=f"c-{i}") for i in range(WRITERS)
    ]

    results = race(
        writers(store), lambda s, i: handlers.request_session(s.unit_of_work(), messages[i])
    )

    created = [r for r in results if isinstance(r, Applied)]
    rejected = [r for r in results if isinstance(r, Rejected)]
    assert len(created) == 1 and created[0].new, results
    assert len(rejected) == WRITERS - 1, results
    assert {r.reason for r in rejected} == {RejectReason.NOT_ALLOWED_IN_STATE}
    assert event_types(store, "s-contested") == ["genesis.session.created"]
    session = created[0].session
    assert session is not None
    winner = next(m for m in messages if m.envelope.correlation_id == session.correlation_id)
    # Only the winner's inbox row: a rejected request's redelivery is rejected again.
    with store.engine.connect() as conn:
        claimed = conn.execute(
            sa.select(inbox.c.event_id).where(inbox.c.session_id == "s-contested")
        ).scalars()
        assert list(claimed) == [winner.event_id]


def _record_in_process(
    url: str,
    outcome: StageOutcome,
    artifact: Artifact,
    index: int,
    start: Any,
    results: Any,
) -> None:
    store = GenesisStore(url)
    store.session(outcome.session_id)  # connect before the race, not inside it
    start.wait(timeout=60)
    try:
        record = handlers.record_outcome(
            store.unit_of_work(), outcome, artifact, run_id=f"process-{index}", summary="s"
        )
        results.put((index, record.id, None))
    except Exception as error:
        results.put((index, None, repr(error)))


def test_processes_racing_on_one_attempt_store_one_version_with_one_event_per_fact(
    store: GenesisStore, session_id: str
) -> None:
    outcome = outcome_for(store, session_id, Stage.CONCEPT)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=_record_in_process,
            args=(store.url, outcome, concept_artifact(), i, start, results),
        )
        for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    try:
        answers = [results.get(timeout=90) for _ in processes]
    except queue.Empty:
        pytest.fail(f"a writer process gave no answer: {[p.exitcode for p in processes]}")
    finally:
        for process in processes:
            process.join(timeout=30)

    assert [p.exitcode for p in processes] == [0] * PROCESSES
    assert [error for _, _, error in answers] == [None] * PROCESSES
    run_ids = [f"process-{i}" for i in range(PROCESSES)]
    assert_one_version_of(store, outcome, [version_id for _, version_id, _ in answers], run_ids)
    assert event_types(store, session_id) == ["genesis.session.created", *PASSED_EVENTS]
