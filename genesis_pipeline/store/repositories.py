"""Queries and writes per table, all on one connection (the unit of work's or a reader's)."""

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from genesis_pipeline.domain.records import (
    GateRecord,
    SessionRecord,
    VersionRecord,
)
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.store.tables import (
    artifact_versions,
    gate_results,
    sessions,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; PostgreSQL hands
    # back aware ones in the connection's TimeZone, which need not be UTC.
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def upsert_insert(conn: sa.Connection, table: sa.Table, **values: Any) -> Any:
    """`INSERT` in the connection's dialect, which has `on_conflict_do_nothing/_do_update`
    (SQLite and PostgreSQL alike); without `values`, add rows with `.values([...])`."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    insert = dialect.insert(table)
    return insert.values(**values) if values else insert


def insert_unless_exists(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    """Insert a row unless a unique key already holds it; True when the row is new.

    `ON CONFLICT DO NOTHING` rather than catching IntegrityError: on PostgreSQL a failed
    statement aborts the whole transaction, and the unit of work must go on.
    """
    statement = upsert_insert(conn, table, **values).on_conflict_do_nothing()
    # RETURNING rather than rowcount: psycopg reports -1 for an INSERT with implicit RETURNING.
    inserted = conn.execute(statement.returning(sa.literal_column("1"))).first()
    return inserted is not None


class Sessions:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def add(self, session_id: str, spec: SessionSpec, *, correlation_id: str) -> bool:
        now = utcnow()
        return insert_unless_exists(
            self.conn,
            sessions,
            dict(
                session_id=session_id,
                **spec.model_dump(mode="json"),
                status=SessionStatus.ACTIVE.value,
                correlation_id=correlation_id,
                created_at=now,
                updated_at=now,
            ),
        )

    def get(self, session_id: str) -> SessionRecord | None:
        row = (
            self.conn.execute(sa.select(sessions).where(sessions.c.session_id == session_id))
            .mappings()
            .first()
        )
        if row is None:
            return None
        spec = SessionSpec.model_validate({k: row[k] for k in SessionSpec.model_fields if k in row})
        return SessionRecord(
            session_id=row["session_id"],
            spec=spec,
            status=SessionStatus(row["status"]),
            status_reason=row["status_reason"],
            correlation_id=row["correlation_id"],
            created_at=as_utc(row["created_at"]),
            archived_at=as_utc(row["archived_at"]) if row["archived_at"] else None,
            tokens_spent=row["tokens_spent"],
        )

    def set_budget(self, session_id: str, budget_tokens: int) -> None:
        self.conn.execute(
            sa.update(sessions)
            .where(sessions.c.session_id == session_id)
            .values(budget_tokens=budget_tokens, updated_at=utcnow())
        )

    def set_status(self, session_id: str, status: SessionStatus, reason: str | None = None) -> None:
        """A status change touches the session: an archived one is archived no more."""
        self.conn.execute(
            sa.update(sessions)
            .where(sessions.c.session_id == session_id)
            .values(
                status=status.value, status_reason=reason, updated_at=utcnow(), archived_at=None
            )
        )

    def archive(
        self, session_id: str, statuses: Collection[SessionStatus], *, untouched_since: datetime
    ) -> datetime | None:
        """Mark the session archived if it is in `statuses`, not archived and unchanged since
        `untouched_since`; when it was archived, or None."""
        now = utcnow()
        archived = self.conn.execute(
            sa.update(sessions)
            .where(sessions.c.session_id == session_id)
            .where(sessions.c.status.in_([s.value for s in statuses]))
            .where(sessions.c.archived_at.is_(None))
            .where(sessions.c.updated_at < untouched_since)
            .values(archived_at=now)
            .returning(sessions.c.session_id)
        ).first()
        return now if archived else None


def _version(row: sa.RowMapping) -> VersionRecord:
    return VersionRecord(
        id=row["id"],
        session_id=row["session_id"],
        stage=Stage(row["stage"]),
        version=row["version"],
        attempt=row["attempt"],
        seed=row["seed"],
        status=row["status"],
        content=row["content"],
        upstream_versions={Stage(k): v for k, v in row["upstream_versions"].items()},
        quality_score=row["quality_score"],
        model=row["model"],
        prompt_version=row["prompt_version"],
        tokens_in=row["tokens_in"],
        tokens_out=row["tokens_out"],
        latency_ms=row["latency_ms"],
        revision_request_id=row["revision_request_id"],
        approved_by=row["approved_by"],
        created_at=as_utc(row["created_at"]),
    )


class Artifacts:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def _latest(
        self, session_id: str, stage: Stage, *, status: str | None, approved: bool = False
    ) -> VersionRecord | None:
        query = sa.select(artifact_versions).where(
            artifact_versions.c.session_id == session_id,
            artifact_versions.c.stage == stage.value,
        )
        if status is not None:
            query = query.where(artifact_versions.c.status == status)
        if approved:
            query = query.where(artifact_versions.c.approved_by.is_not(None))
        row = (
            self.conn.execute(query.order_by(artifact_versions.c.version.desc()).limit(1))
            .mappings()
            .first()
        )
        return _version(row) if row else None

    def latest(self, session_id: str, stage: Stage) -> VersionRecord | None:
        return self._latest(session_id, stage, status=None)

    def current_passed(self, session_id: str, stage: Stage) -> VersionRecord | None:
        return self._latest(session_id, stage, status="passed")

    def current_approved(self, session_id: str, stage: Stage) -> VersionRecord | None:
        """The version downstream stages build on: passed its gates and approved (at once in
        review mode auto, by the writer's `accept` in review mode human)."""
        return self._latest(session_id, stage, status="passed", approved=True)

    def by_version(self, session_id: str, stage: Stage, version: int) -> VersionRecord | None:
        row = (
            self.conn.execute(
                sa.select(artifact_versions).where(
                    artifact_versions.c.session_id == session_id,
                    artifact_versions.c.stage == stage.value,
                    artifact_versions.c.version == version,
                )
            )
            .mappings()
            .first()
        )
        return _version(row) if row else None

    def by_basis(self, session_id: str, stage: Stage, basis_key: str) -> VersionRecord | None:
        row = (
            self.conn.execute(
                sa.select(artifact_versions).where(
                    artifact_versions.c.session_id == session_id,
                    artifact_versions.c.stage == stage.value,
                    artifact_versions.c.basis_key == basis_key,
                )
            )
            .mappings()
            .first()
        )
        return _version(row) if row else None

    def count(self, session_id: str, stage: Stage) -> int:
        return self.conn.execute(
            sa.select(sa.func.count()).where(
                artifact_versions.c.session_id == session_id,
                artifact_versions.c.stage == stage.value,
            )
        ).scalar_one()

    def add(self, values: dict[str, Any]) -> bool:
        return insert_unless_exists(self.conn, artifact_versions, values)

    def approve(self, version_id: int, *, approved_by: str) -> None:
        self.conn.execute(
            sa.update(artifact_versions)
            .where(artifact_versions.c.id == version_id)
            .values(approved_by=approved_by, approved_at=utcnow())
        )


class Gates:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def add(self, version_id: int, record: GateRecord) -> bool:
        return insert_unless_exists(
            self.conn,
            gate_results,
            dict(
                artifact_version_id=version_id,
                gate=record.gate,
                passed=record.passed,
                score=record.score,
                threshold=record.threshold,
                findings=record.findings,
                created_at=utcnow(),
            ),
        )

    def for_version(self, version_id: int) -> list[GateRecord]:
        rows = self.conn.execute(
            sa.select(gate_results)
            .where(gate_results.c.artifact_version_id == version_id)
            .order_by(gate_results.c.id)
        ).mappings()
        return [
            GateRecord(r["gate"], r["passed"], r["score"], r["threshold"], r["findings"])
            for r in rows
        ]
