"""Tables of the genesis store. Alembic migrations in store/migrations mirror this module."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only autoincrements INTEGER primary keys; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("premise", Text, nullable=False),
    Column("genre", String(80)),
    Column("audience", String(80)),
    Column("language", String(16), nullable=False),
    Column("review_mode", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_reason", Text),
    Column("correlation_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Set when a finished session's Dagster partition was retired (docs/CONTRACT.md §5).
    Column("archived_at", DateTime(timezone=True)),
    # The session's own token budget; NULL: the deployment's GENESIS_SESSION_TOKEN_BUDGET.
    Column("budget_tokens", BigInteger),
    # Tokens charged to it: every call made, and the allowance of every call being made.
    Column("tokens_spent", BigInteger, nullable=False, server_default="0"),
    # Sessions not archived, by status and age: the archive job and the stale-prompt backfill
    # read only these, however many sessions were ever archived.
    Index(
        None,
        "status",
        "updated_at",
        postgresql_where=text("archived_at IS NULL"),
        sqlite_where=text("archived_at IS NULL"),
    ),
)

artifact_versions = Table(
    "artifact_versions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.session_id"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    # What the version was generated from (upstream versions, attempt, revision request):
    # two runs racing on the same basis store one version, never two.
    Column("basis_key", String(255), nullable=False),
    Column("status", String(16), nullable=False),
    Column("content", JSON, nullable=False),
    Column("upstream_versions", JSON, nullable=False),
    Column("quality_score", Float),
    Column("model", String(200), nullable=False),
    Column("prompt_version", String(64), nullable=False),
    Column("tokens_in", Integer, nullable=False),
    Column("tokens_out", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("seed", Integer, nullable=False),
    Column("revision_request_id", BigId, ForeignKey("revision_requests.id")),
    Column("run_id", String(64)),
    Column("approved_by", String(200)),
    Column("approved_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("session_id", "stage", "version"),
    UniqueConstraint("session_id", "stage", "basis_key"),
    Index(None, "session_id", "stage", "status"),
)

gate_results = Table(
    "gate_results",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("artifact_version_id", BigId, ForeignKey("artifact_versions.id"), nullable=False),
    Column("gate", String(32), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("score", Float, nullable=False),
    Column("threshold", Float),
    Column("findings", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("artifact_version_id", "gate"),
)

revision_requests = Table(
    "revision_requests",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.session_id"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("instructions", JSON, nullable=False),
    Column("next_attempt", Integer, nullable=False),
    Column("seed", Integer, nullable=False),
    # "revise" the latest draft, or start "fresh" after a revision made no progress.
    Column("strategy", String(16), nullable=False, server_default="revise"),
    Column("status", String(16), nullable=False),
    # "gate:<artifact_version_id>" or "event:<event_id>": one request per cause.
    Column("origin_key", String(128), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "status", "id"),
)

inbox = Table(
    "inbox",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(128), nullable=False),
    Column("session_id", String(64)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index(None, "received_at"),  # retention deletes the oldest first
)

# Inbound messages whose handler raised (not a rejection), counted across ticks: one that
# always fails goes to the DLQ after GENESIS_INBOUND_MAX_ATTEMPTS instead of stopping its topic.
inbound_failures = Table(
    "inbound_failures",
    metadata,
    # The event id, or the message's coordinates when it could not be read that far.
    Column("message_key", String(255), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("first_failed_at", DateTime(timezone=True), nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(128), nullable=False),
    Column("session_id", String(64), nullable=False),
    # One fact, one event: e.g. "content.generated:<artifact_version_id>".
    Column("fact_key", String(255), nullable=False, unique=True),
    Column("envelope", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index(None, "sent_at", "id"),
    # One session's events in order (`genesis run`, `genesis status`), without a full scan.
    Index(None, "session_id", "id"),
)

# Every model call, charged to its session in the transaction that records it.
generation_calls = Table(
    "generation_calls",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("session_id", String(64), ForeignKey("sessions.session_id"), nullable=False),
    Column("stage", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("purpose", String(16), nullable=False),  # draft (re-asks included) or judge
    Column("model", String(200), nullable=False),
    Column("tokens_in", Integer, nullable=False),
    Column("tokens_out", Integer, nullable=False),
    Column("cost_usd", Float, nullable=False),
    Column("priced", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "session_id", "stage", "attempt"),
)

# Where a maintenance job that works in bounded runs stopped, e.g. the audit's last session.
maintenance_cursors = Table(
    "maintenance_cursors",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The deployment's metric totals (domain/metrics.py): one row per metric and set of labels,
# added to in the transaction of the fact it counts, so a scrape reads a few rows however many
# sessions there were.
metric_totals = Table(
    "metric_totals",
    metadata,
    Column("metric", String(64), primary_key=True),
    Column("labels", String(1024), primary_key=True),  # JSON object, keys sorted
    Column("value", Float, nullable=False),
)

rate_limit_buckets = Table(
    "rate_limit_buckets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("capacity", Float, nullable=False),
    Column("refill_per_second", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
