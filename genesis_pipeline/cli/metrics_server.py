"""The Prometheus endpoint of the long-running processes (`genesis relay`, `genesis consume`,
`genesis dev`): the catalog in `domain/metrics.py`, exposed with `prometheus-client`.

Every process that serves it reports the deployment's totals and outbox gauges, read from the
genesis store at each scrape (a few rows, whatever the number of sessions); `genesis consume`
adds its own lag and counts. The process's CPU and memory come with them.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from genesis_pipeline.cli.common import fail_usage, say
from genesis_pipeline.domain import metrics as catalog
from genesis_pipeline.store.genesis_store import GenesisStore

if TYPE_CHECKING:  # the relay does not import Dagster
    from genesis_pipeline.defs.automation.kafka_consumer import ConsumerStats


def _family(metric: catalog.Metric) -> CounterMetricFamily | GaugeMetricFamily:
    kind = CounterMetricFamily if metric.kind is catalog.Kind.COUNTER else GaugeMetricFamily
    return kind(metric.name, metric.help, labels=metric.labels)


class StoreCollector(Collector):
    """The deployment's totals and the outbox's backlog, from the genesis store."""

    def __init__(self, store: GenesisStore) -> None:
        self.store = store

    def describe(self) -> Iterator[Metric]:  # registering reads no store
        return (_family(m) for m in catalog.DEPLOYMENT_TOTALS + catalog.OUTBOX_GAUGES)

    def collect(self) -> Iterator[Metric]:
        with self.store.read() as r:
            totals = r.metric_totals.all()
            backlog = r.outbox.unsent_count()
            oldest = r.outbox.oldest_unsent_at()
        families = {m.name: (m, _family(m)) for m in catalog.DEPLOYMENT_TOTALS}
        for total in totals:
            if total.metric in families:  # a metric a newer version added: not ours to name
                metric, family = families[total.metric]
                family.add_metric(
                    [total.labels.get(label, "") for label in metric.labels], total.value
                )
        for _, family in families.values():
            yield family
        age = 0.0 if oldest is None else max(0.0, time.time() - oldest.timestamp())
        for metric, value in (
            (catalog.OUTBOX_BACKLOG, backlog),
            (catalog.OUTBOX_OLDEST_UNSENT_AGE, age),
        ):
            family = _family(metric)
            family.add_metric([], value)
            yield family


class ConsumerCollector(Collector):
    """What `genesis consume` alone knows: its partitions' lag, its messages and runs."""

    def __init__(self, stats: "ConsumerStats") -> None:
        self.stats = stats

    def describe(self) -> Iterator[Metric]:
        return (_family(m) for m in catalog.CONSUMER_FIGURES)

    def collect(self) -> Iterator[Metric]:
        lag = _family(catalog.CONSUMER_LAG)
        for (topic, partition), behind in sorted(self.stats.lag.items()):
            lag.add_metric([topic, str(partition)], behind)
        messages = _family(catalog.CONSUMER_MESSAGES)
        for topic, count in sorted(self.stats.messages.items()):
            messages.add_metric([topic], count)
        runs = _family(catalog.RUNS_SUBMITTED)
        runs.add_metric([], self.stats.runs_submitted)
        yield from (lag, messages, runs)


@contextmanager
def serving_metrics(
    port: int | None,
    host: str,
    store: GenesisStore,
    consumer: "ConsumerStats | None" = None,
) -> Iterator[None]:
    """Serve /metrics on `host:port` while the block runs; nothing when `port` is None."""
    if port is None:
        yield
        return
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    registry.register(StoreCollector(store))
    if consumer is not None:
        registry.register(ConsumerCollector(consumer))
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        fail_usage(f"cannot serve metrics on {host}:{port}: {error.strerror or error}")
    say(f"metrics at http://{host}:{port}/metrics")
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
