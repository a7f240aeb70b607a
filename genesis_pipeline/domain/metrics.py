"""The metrics operators watch (docs/CONTRACT.md §12): their names, meaning and labels, in one
catalog that the store, the processes that serve them and the deployment guide follow.

Totals (`DEPLOYMENT_TOTALS`) are counted in the genesis store, in the transaction of the fact
they count, so they are the deployment's: every process that serves metrics reports the same
figures, and none is lost when a process or a short-lived run worker ends. The outbox gauges
are read from the store at each scrape. The consumer's own figures (`CONSUMER_FIGURES`) live
in the `genesis consume` process that has them.
"""

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"


@dataclass(frozen=True)
class Metric:
    """`name` as exposed; a counter's samples carry the `_total` suffix Prometheus adds."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    kind: Kind = Kind.COUNTER


GENERATION_CALLS = Metric(
    "genesis_generation_calls",
    "Model calls made, drafts, re-asks and judge calls alike.",
    ("stage", "model", "purpose"),
)
GENERATION_TOKENS = Metric(
    "genesis_generation_tokens",
    "Tokens of model calls, prompt (direction=in) and completion (direction=out).",
    ("stage", "model", "direction"),
)
GENERATION_COST = Metric(
    "genesis_generation_cost_usd",
    "Cost of model calls in USD, at GENESIS_MODEL_PRICES (a model without a price counts 0).",
    ("stage", "model"),
)
GATE_VERDICTS = Metric(
    "genesis_gate_verdicts",
    "Gate verdicts on stage attempts, passed or failed.",
    ("stage", "gate", "verdict"),
)
BUDGET_EXHAUSTIONS = Metric(
    "genesis_budget_exhaustions",
    "Model calls refused because a session's budget (limit=session) or a backfill run's cap "
    "(limit=run) could not pay for them.",
    ("limit",),
)
DLQ_MESSAGES = Metric(
    "genesis_dlq_messages",
    "Inbound messages sent to genesis.dlq, by the topic they came from and the reason.",
    ("topic", "reason"),
)
EVENTS_PUBLISHED = Metric(
    "genesis_events_published",
    "Outbox events published to genesis.events.",
    ("event_type",),
)
OUTBOX_BACKLOG = Metric(
    "genesis_outbox_backlog", "Outbox events not yet published.", kind=Kind.GAUGE
)
OUTBOX_OLDEST_UNSENT_AGE = Metric(
    "genesis_outbox_oldest_unsent_age_seconds",
    "Age of the oldest outbox event not yet published; 0 when none waits.",
    kind=Kind.GAUGE,
)
CONSUMER_LAG = Metric(
    "genesis_consumer_lag",
    "Messages on a partition this consumer has not applied yet (high watermark − position).",
    ("topic", "partition"),
    kind=Kind.GAUGE,
)
CONSUMER_MESSAGES = Metric(
    "genesis_consumer_messages",
    "Inbound messages this consumer read and committed, dead letters included.",
    ("topic",),
)
RUNS_SUBMITTED = Metric("genesis_runs_submitted", "Dagster runs this consumer submitted.", ())

DEPLOYMENT_TOTALS = (
    GENERATION_CALLS,
    GENERATION_TOKENS,
    GENERATION_COST,
    GATE_VERDICTS,
    BUDGET_EXHAUSTIONS,
    DLQ_MESSAGES,
    EVENTS_PUBLISHED,
)
OUTBOX_GAUGES = (OUTBOX_BACKLOG, OUTBOX_OLDEST_UNSENT_AGE)
CONSUMER_FIGURES = (CONSUMER_LAG, CONSUMER_MESSAGES, RUNS_SUBMITTED)
CATALOG = DEPLOYMENT_TOTALS + OUTBOX_GAUGES + CONSUMER_FIGURES
