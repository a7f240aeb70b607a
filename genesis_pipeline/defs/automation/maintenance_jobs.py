"""Op jobs of the scheduled maintenance: the consistency audit, outbox retention and the archive
of finished sessions."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
from pydantic import Field, ValidationError

from genesis_pipeline.defs.automation.partition_history import forget_partitions
from genesis_pipeline.defs.resources import GenesisStoreResource
from genesis_pipeline.defs.stages.definitions import SESSION_ASSET_KEYS
from genesis_pipeline.defs.stages.partitions import GENESIS_SESSION_PARTITIONS
from genesis_pipeline.service import handlers
from genesis_pipeline.service.consistency_audit import consistency_regressions
from genesis_pipeline.service.planner import MAINTENANCE_TAG, PRIORITY_TAG
from genesis_pipeline.service.stale_prompts import BACKFILL_PRIORITY
from genesis_pipeline.store.maintenance import Maintenance
from genesis_pipeline.store.repositories import utcnow

AUDIT_PAGE = 200
AUDIT_CURSOR = "consistency_audit"


def _tags(name: str) -> dict[str, str]:
    # Cheap runs, but never ahead of a writer's run in the queue.
    return {MAINTENANCE_TAG: name, PRIORITY_TAG: str(BACKFILL_PRIORITY)}


class AuditConfig(dg.Config):
    max_sessions: int = Field(
        default=5_000,
        ge=1,
        description="Completed sessions audited per run; the next run goes on after the last.",
    )


@dg.op(
    out=dg.Out(dg.Nothing),
    description=(
        "Re-evaluates the consistency gate over the final approved versions of completed "
        "sessions (each against the upstream versions it was generated from) and records every "
        "version that passed when stored but fails now: an audit verdict and a "
        "`genesis.audit.regression_found` event, one unit of work per session, once per version. "
        "At most `max_sessions` a run, in session order from where the last run stopped, "
        "starting over after the last session: each run costs the same however many exist."
    ),
)
def audit_completed_sessions(
    context: dg.OpExecutionContext, config: AuditConfig, genesis_store: GenesisStoreResource
) -> Iterator[dg.Output[None]]:
    maintenance = Maintenance(genesis_store.store)
    audited = versions = found = 0
    unreadable: list[str] = []
    started_after = after = maintenance.cursor(AUDIT_CURSOR)
    left = config.max_sessions
    while left:
        page = maintenance.completed_sessions(after=after, limit=min(AUDIT_PAGE, left))
        if not page:  # past the last completed session: the next run starts over
            maintenance.set_cursor(AUDIT_CURSOR, "")
            break
        after = page[-1]
        left -= len(page)
        for session_id in page:
            try:
                subject = maintenance.audit_subject(session_id)
            except ValidationError as error:  # content stored under an older artifact model
                context.log.error(f"{session_id}: stored content does not parse: {error}")
                unreadable.append(session_id)
                continue
            if subject is None:
                context.log.warning(f"{session_id} is completed but has no approved bible")
                continue
            audited += 1
            versions += len(subject.versions)
            regressions = consistency_regressions(subject.versions.values())
            if not regressions:
                continue
            found += maintenance.record_regressions(subject, regressions, run_id=context.run_id)
            for verdict in regressions:
                context.log.warning(
                    f"{session_id} {verdict.stage} v{subject.versions[verdict.stage].version}: "
                    f"consistency now fails ({len(verdict.findings)} finding(s))"
                )
        maintenance.set_cursor(AUDIT_CURSOR, after)
    context.log.info(
        f"consistency audit: {audited} completed session(s) from "
        f"{repr(started_after) if started_after else 'the first'}, {versions} version(s), "
        f"{found} new regression(s)"
    )
    if unreadable:
        raise dg.Failure(
            f"{len(unreadable)} completed session(s) could not be audited: {unreadable[:20]}",
            metadata={"sessions_audited": audited, "regressions_found": found},
            allow_retries=False,
        )
    yield dg.Output(
        None,
        metadata={
            "sessions_audited": audited,
            "versions_audited": versions,
            "regressions_found": found,
        },
    )


@dg.job(
    description=(
        "Consistency audit of completed sessions: today's consistency rules over the final "
        "approved versions; a version that passed when stored but fails now is reported once "
        "as `genesis.audit.regression_found`. Reads the writers' work, never changes it."
    ),
    tags=_tags("consistency_audit"),
)
def genesis_consistency_audit_job() -> None:
    audit_completed_sessions()


class OutboxRetentionConfig(dg.Config):
    older_than_hours: int = Field(
        default=168, ge=1, description="Delete outbox rows sent more than this many hours ago."
    )
    batch_size: int = Field(
        default=10_000, ge=1, le=100_000, description="Rows deleted per transaction."
    )


@dg.op(
    out=dg.Out(dg.Nothing),
    description=(
        "Deletes outbox rows that were published more than `older_than_hours` ago, "
        "`batch_size` rows per transaction; rows not published yet are never deleted."
    ),
)
def delete_sent_outbox_rows(
    context: dg.OpExecutionContext,
    config: OutboxRetentionConfig,
    genesis_store: GenesisStoreResource,
) -> Iterator[dg.Output[None]]:
    store = genesis_store.store
    cutoff = utcnow() - timedelta(hours=config.older_than_hours)
    deleted = Maintenance(store).delete_sent_outbox(before=cutoff, batch_size=config.batch_size)
    with store.read() as r:
        unsent = r.outbox.unsent_count()
    context.log.info(
        f"outbox retention: deleted {deleted} row(s) sent before {cutoff:%Y-%m-%d %H:%M} UTC; "
        f"{unsent} row(s) wait for the relay"
    )
    yield dg.Output(
        None,
        metadata={"deleted": deleted, "sent_before": cutoff.isoformat(), "unsent": unsent},
    )


class InboxRetentionConfig(dg.Config):
    older_than_days: int = Field(
        default=30,
        ge=1,
        description=(
            "Delete inbox rows received more than this many days ago: longer than the Kafka "
            "topics keep messages, so no redelivery can find its event id gone."
        ),
    )
    batch_size: int = Field(
        default=10_000, ge=1, le=100_000, description="Rows deleted per transaction."
    )


@dg.op(
    out=dg.Out(dg.Nothing),
    description=(
        "Deletes inbox rows (the event ids of inbound messages that took effect) received more "
        "than `older_than_days` ago, and the failure counts of messages last tried before then."
    ),
)
def delete_old_inbox_rows(
    context: dg.OpExecutionContext,
    config: InboxRetentionConfig,
    genesis_store: GenesisStoreResource,
) -> Iterator[dg.Output[None]]:
    cutoff = utcnow() - timedelta(days=config.older_than_days)
    maintenance = Maintenance(genesis_store.store)
    deleted = maintenance.delete_old_inbox(before=cutoff, batch_size=config.batch_size)
    context.log.info(f"inbox retention: deleted {deleted} row(s) received before {cutoff:%Y-%m-%d}")
    yield dg.Output(None, metadata={"deleted": deleted, "received_before": cutoff.isoformat()})


@dg.job(
    description=(
        "Outbox and inbox retention: deletes outbox rows the relay published more than "
        "`older_than_hours` (default 168) ago, never an unpublished row, and inbox rows "
        "received more than `older_than_days` (30) ago; in batches of `batch_size`."
    ),
    tags=_tags("outbox_retention"),
)
def genesis_outbox_retention_job() -> None:
    delete_sent_outbox_rows()
    delete_old_inbox_rows()


class ArchiveConfig(dg.Config):
    older_than_days: int = Field(
        default=30, ge=1, description="Archive finished sessions untouched this many days."
    )
    batch_size: int = Field(default=500, ge=1, le=10_000, description="Sessions per page.")
    max_sessions: int = Field(
        default=10_000, ge=1, description="Sessions archived per run at most; the next goes on."
    )


@dg.op(
    out=dg.Out(dg.Nothing),
    description=(
        "Archives completed and cancelled sessions untouched for `older_than_days`: deletes "
        "each one's `genesis_session` partition, then marks it archived and publishes "
        "`genesis.session.archived`, page by page, at most `max_sessions` per run. The genesis "
        "store keeps every version and the bible; feedback on an archived session revives it."
    ),
)
def archive_finished_sessions(
    context: dg.OpExecutionContext, config: ArchiveConfig, genesis_store: GenesisStoreResource
) -> Iterator[dg.Output[None]]:
    store = genesis_store.store
    maintenance = Maintenance(store)
    cutoff = utcnow() - timedelta(days=config.older_than_days)
    archived = 0
    while archived < config.max_sessions:
        limit = min(config.batch_size, config.max_sessions - archived)
        page = maintenance.archivable_sessions(untouched_since=cutoff, limit=limit)
        # Dagster's side first: a crash before the store's side leaves sessions the next run
        # archives again.
        for session_id in page:
            if context.instance.has_dynamic_partition(GENESIS_SESSION_PARTITIONS, session_id):
                context.instance.delete_dynamic_partition(GENESIS_SESSION_PARTITIONS, session_id)
        forget_partitions(context.instance, SESSION_ASSET_KEYS, page)
        for session_id in page:
            uow = store.unit_of_work()
            archived += handlers.archive_session(uow, session_id, untouched_since=cutoff)
        if page:
            context.log.info(f"archive: {archived} session(s) archived so far")
        if len(page) < limit:
            break
    context.log.info(
        f"archive: {archived} session(s) finished before {cutoff:%Y-%m-%d %H:%M} UTC archived"
    )
    yield dg.Output(None, metadata={"archived": archived, "untouched_since": cutoff.isoformat()})


@dg.job(
    description=(
        "Archive of finished sessions: retires the Dagster partition of each completed or "
        "cancelled session untouched for `older_than_days` (default 30), so the number of live "
        "partitions follows the sessions in use; the genesis store keeps their work."
    ),
    tags=_tags("session_archive"),
)
def genesis_session_archive_job() -> None:
    archive_finished_sessions()
