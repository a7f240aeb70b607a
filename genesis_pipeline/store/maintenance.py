"""What the scheduled backfills read and write: stale prompt versions, the consistency audit of
completed sessions, outbox and inbox retention, the archive of finished sessions, and where the
jobs that work in bounded runs stopped."""

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from genesis_pipeline.domain.events import EventType
from genesis_pipeline.domain.records import (
    AuditedVersion,
    AuditSubject,
    GateRecord,
    PassedStage,
    VersionRecord,
)
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.domain.verdicts import GateName, GateVerdict
from genesis_pipeline.service.announce import announce
from genesis_pipeline.service.handlers import ARCHIVABLE
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.repositories import upsert_insert, utcnow
from genesis_pipeline.store.tables import (
    artifact_versions,
    maintenance_cursors,
    revision_requests,
    sessions,
)
from genesis_pipeline.store.unit_of_work import UnitOfWork

# Sessions a stale-prompt backfill may touch. Paused and cancelled ones are the writer's call;
# a session that needs attention failed already, and re-running it only spends tokens.
BACKFILL_STATUSES = (SessionStatus.ACTIVE, SessionStatus.COMPLETED)

# The audit's verdict is kept beside the gate verdicts: the outbox row announcing a
# regression is deleted by retention, this row is what says "reported already" for good.
AUDIT_GATE = f"{GateName.CONSISTENCY.value}_audit"


class Maintenance:
    def __init__(self, store: GenesisStore) -> None:
        self.store = store

    def newest_passed_to_review(
        self, prompt_versions: Mapping[Stage, str], *, default_budget: int
    ) -> list[PassedStage]:
        """Per (session, stage) the newest passed version, when it was generated with another
        prompt version than `prompt_versions` or still waits for the writer's approval.

        Only sessions in BACKFILL_STATUSES without pending revision requests (the revision
        sensor owns those) and with tokens left in their budget (`default_budget` for those
        without their own); highest session priority first, then oldest session.
        """
        query = stale_review_query(prompt_versions, default_budget=default_budget)
        return [
            PassedStage(
                row.session_id,
                Stage(row.stage),
                row.version,
                row.prompt_version,
                bool(row.approved),
            )
            for row in self._rows(query)
        ]

    def completed_sessions(self, *, after: str, limit: int) -> list[str]:
        """Ids of completed sessions after `after`, in id order (keyset pages)."""
        query = (
            sa.select(sessions.c.session_id)
            .where(sessions.c.status == SessionStatus.COMPLETED.value)
            .where(sessions.c.session_id > after)
            .order_by(sessions.c.session_id)
            .limit(limit)
        )
        return [row.session_id for row in self._rows(query)]

    def archivable_sessions(self, *, untouched_since: datetime, limit: int) -> list[str]:
        """Ids of finished sessions, not archived, unchanged since `untouched_since`: the ones
        finished longest ago first."""
        query = archivable_query(untouched_since=untouched_since, limit=limit)
        return [row.session_id for row in self._rows(query)]

    def _rows(self, query: sa.Select[tuple[object, ...]]) -> Sequence[sa.Row[tuple[object, ...]]]:
        reader = self.store.engine.execution_options(isolation_level="AUTOCOMMIT")
        with reader.connect() as conn:
            return conn.execute(query).all()

    def audit_subject(self, session_id: str) -> AuditSubject | None:
        """The versions the session's approved bible was built from (and the bible), each with
        the upstream versions it was generated from; None without an approved bible."""
        with self.store.read() as r:
            session = r.sessions.get(session_id)
            bible = r.artifacts.current_approved(session_id, Stage.STORY_BIBLE)
            if session is None or bible is None:
                return None
            final = {**bible.upstream_versions, Stage.STORY_BIBLE: bible.version}
            loaded: dict[tuple[Stage, int], VersionRecord] = {}

            def version(stage: Stage, number: int) -> VersionRecord:
                if (stage, number) not in loaded:
                    record = r.artifacts.by_version(session_id, stage, number)
                    assert record is not None  # versions are never deleted
                    loaded[stage, number] = record
                return loaded[stage, number]

            versions: dict[Stage, AuditedVersion] = {}
            for stage, number in final.items():
                record = version(stage, number)
                gates = {g.gate: g for g in r.gates.for_version(record.id)}
                stored = gates.get(GateName.CONSISTENCY.value)
                versions[stage] = AuditedVersion(
                    version_id=record.id,
                    stage=stage,
                    version=record.version,
                    artifact=record.artifact(),
                    upstream={
                        up: version(up, n).artifact() for up, n in record.upstream_versions.items()
                    },
                    passed_versions=dict(record.upstream_versions),
                    spec=session.spec,
                    stored_passed=stored.passed if stored else None,
                    reported=AUDIT_GATE in gates,
                )
        return AuditSubject(session_id, session.correlation_id, versions)

    def record_regressions(
        self,
        subject: AuditSubject,
        regressions: Sequence[GateVerdict],
        *,
        run_id: str | None,
    ) -> int:
        """Store each regression as the version's audit verdict with its
        `audit.regression_found` event, in one unit of work; returns how many were new."""
        new = 0
        with self.store.unit_of_work() as uow:
            for verdict in regressions:
                audited = subject.versions[verdict.stage]
                findings = [f.model_dump() for f in verdict.findings]
                record = GateRecord(AUDIT_GATE, False, verdict.score, None, findings)
                if not uow.gates.add(audited.version_id, record):
                    continue  # reported by an earlier audit
                payload = {
                    "stage": verdict.stage.value,
                    "version": audited.version,
                    "gate": verdict.gate.value,
                    "score": verdict.score,
                    "findings": findings,
                    "run_id": run_id,
                }
                fact = f"{audited.version_id}:{verdict.gate.value}"
                announce(uow, EventType.AUDIT_REGRESSION_FOUND, subject, payload, fact=fact)
                new += 1
            uow.commit()
        return new

    def delete_old_inbox(self, *, before: datetime, batch_size: int) -> int:
        """Delete inbox rows received before `before`, `batch_size` per transaction."""
        return self._delete_in_batches(
            lambda uow: uow.inbox.delete_received_before(before, limit=batch_size), batch_size
        )

    def cursor(self, name: str) -> str:
        """Where the maintenance job `name` stopped last time ("" when it never ran)."""
        query = sa.select(maintenance_cursors.c.value).where(maintenance_cursors.c.name == name)
        rows = self._rows(query)
        return str(rows[0].value) if rows else ""

    def set_cursor(self, name: str, value: str) -> None:
        with self.store.engine.begin() as conn:
            insert = upsert_insert(
                conn, maintenance_cursors, name=name, value=value, updated_at=utcnow()
            )
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[maintenance_cursors.c.name],
                    set_=dict(value=value, updated_at=insert.excluded.updated_at),
                )
            )

    def delete_sent_outbox(self, *, before: datetime, batch_size: int) -> int:
        """Delete outbox rows sent before `before`, `batch_size` rows per transaction so that
        a large backlog never holds a lock for long; returns how many went."""
        return self._delete_in_batches(
            lambda uow: uow.outbox.delete_sent_before(before, limit=batch_size), batch_size
        )

    def _delete_in_batches(self, delete: Callable[[UnitOfWork], int], batch_size: int) -> int:
        """Run `delete` (one batch) in a transaction of its own until a batch comes up short."""
        deleted = 0
        while True:
            with self.store.unit_of_work() as uow:
                count = delete(uow)
                uow.commit()
            deleted += count
            if count < batch_size:
                return deleted


def archivable_query(*, untouched_since: datetime, limit: int) -> sa.Select[tuple[str]]:
    """The archive job's page, read from the (status, updated_at) index."""
    return (
        sa.select(sessions.c.session_id)
        .where(sessions.c.status.in_([s.value for s in ARCHIVABLE]))
        .where(sessions.c.updated_at < untouched_since)
        .where(sessions.c.archived_at.is_(None))
        .order_by(sessions.c.updated_at)
        .limit(limit)
    )


def stale_review_query(
    prompt_versions: Mapping[Stage, str], *, default_budget: int
) -> sa.Select[tuple[Any, ...]]:
    """The stale-prompt backfill's read (`Maintenance.newest_passed_to_review`)."""
    av = artifact_versions
    # Live sessions only, through the partial status index: the query reads their versions,
    # not those of every session ever archived (which have no partition to run in). A session
    # whose budget is spent would only stop at its first call.
    is_live = sa.and_(
        sessions.c.status.in_([s.value for s in BACKFILL_STATUSES]),
        sessions.c.archived_at.is_(None),
        sessions.c.tokens_spent < sa.func.coalesce(sessions.c.budget_tokens, default_budget),
    )
    live = sa.select(sessions.c.session_id).where(is_live)
    newest = (
        sa.select(av.c.session_id, av.c.stage, sa.func.max(av.c.version).label("version"))
        .where(av.c.status == "passed")
        .where(av.c.session_id.in_(live))
        .group_by(av.c.session_id, av.c.stage)
        .subquery()
    )
    pending = (
        sa.exists()
        .where(revision_requests.c.session_id == sessions.c.session_id)
        .where(revision_requests.c.status == "pending")
    )
    outdated = [
        sa.and_(av.c.stage == stage.value, av.c.prompt_version != version)
        for stage, version in prompt_versions.items()
    ]
    return (
        sa.select(av.c.session_id, av.c.stage, av.c.version, av.c.prompt_version)
        .add_columns(av.c.approved_by.is_not(None).label("approved"))
        .join(
            newest,
            sa.and_(
                av.c.session_id == newest.c.session_id,
                av.c.stage == newest.c.stage,
                av.c.version == newest.c.version,
            ),
        )
        .join(sessions, sessions.c.session_id == av.c.session_id)
        .where(is_live)
        .where(~pending)
        .where(sa.or_(av.c.approved_by.is_(None), *outdated))
        .order_by(sessions.c.priority.desc(), sessions.c.created_at, sessions.c.session_id)
    )
