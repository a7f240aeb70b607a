"""Running one whole session in this process: the first run, then the revision runs that the
same planner as `genesis_revision_sensor` asks for, until nothing is pending."""

import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from genesis_pipeline.automation.failures import record_failures, stage_failures
from genesis_pipeline.automation.revision_planner import RevisionRun, plan_revision_runs
from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import STAGE_ORDER
from genesis_pipeline.stages.all_stages import STAGE_ASSETS
from genesis_pipeline.stages.partitions import GENESIS_SESSION_PARTITIONS
from genesis_pipeline.store.genesis_store import GenesisStore


class SessionExistsError(ValueError):
    pass


@dataclass
class SessionRun:
    session_id: str
    status: SessionStatus
    run_ids: list[str] = field(default_factory=list)
    bible_location: str | None = None


def new_session_id(premise: str) -> str:
    """A readable id from the premise's first words plus a random suffix."""
    words = re.findall(r"[a-z0-9]+", premise.lower())[:4]
    stem = "-".join(words)[:40].strip("-") or "session"
    return f"{stem}-{secrets.token_hex(3)}"


def run_session(
    session_id: str,
    spec: SessionSpec,
    *,
    instance: dg.DagsterInstance,
    resources: Mapping[str, Any],
    on_run: Callable[[RevisionRun, dg.ExecuteInProcessResult], None] | None = None,
    log_level: str = "DEBUG",
) -> SessionRun:
    store: GenesisStore = resources["genesis_store"].store
    if not store.create_session(session_id, spec, correlation_id=str(uuid.uuid4())):
        raise SessionExistsError(f"session {session_id!r} already exists")
    instance.add_dynamic_partitions(GENESIS_SESSION_PARTITIONS, [session_id])
    result = SessionRun(session_id=session_id, status=SessionStatus.ACTIVE)
    planned = [RevisionRun(session_id, STAGE_ORDER, (0,), spec.priority)]
    # Each revision run answers at least one request and attempts are bounded per stage,
    # so this ends; the cap only guards against a bug looping forever.
    for _ in range(len(STAGE_ORDER) * (spec.max_attempts + 1)):
        if not planned:
            break
        run = planned[0]
        outcome = dg.materialize(
            STAGE_ASSETS,
            selection=[dg.AssetKey(stage.value) for stage in run.stages],
            partition_key=session_id,
            instance=instance,
            resources=resources,
            tags={"genesis/session": session_id, "dagster/priority": str(spec.priority)},
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        result.run_ids.append(outcome.run_id)
        if on_run is not None:
            on_run(run, outcome)
        failures = stage_failures(outcome.all_events)
        if failures:  # a generator or storage error that retries could not fix
            record_failures(store, session_id, failures, run_id=outcome.run_id)
            break
        with store.read() as r:
            pending = [
                p for p in r.revisions.pending(after_id=0, limit=100) if p.session_id == session_id
            ]
            session = r.sessions.get(session_id)
        assert session is not None
        planned = plan_revision_runs(pending, {session_id: session})

    with store.read() as r:
        session = r.sessions.get(session_id)
        events = r.outbox.for_session(session_id)
    assert session is not None
    result.status = session.status
    completed = [e for e in events if e.event_type == EventType.SESSION_COMPLETED]
    if completed:
        result.bible_location = str(completed[-1].payload.get("bible_location"))
    return result
