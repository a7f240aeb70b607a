"""The deployment's metric totals (`domain/metrics.py`): added to in the transaction of the
fact they count, read whole at a scrape (a few rows: one per metric and set of labels)."""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from genesis_pipeline.domain.metrics import Metric
from genesis_pipeline.store.repositories import upsert_insert
from genesis_pipeline.store.tables import metric_totals

# Label values in the order of the metric's `labels` → the amount to add.
Amounts = Mapping[tuple[str, ...], float]


@dataclass(frozen=True)
class Total:
    metric: str
    labels: dict[str, str]
    value: float


class MetricTotals:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def add(self, metric: Metric, amounts: Amounts) -> None:
        """Add each amount to `metric`'s total for its label values (an amount of 0 starts
        the series at 0: an unpriced model's cost shows, as 0).

        One statement, its rows in key order: concurrent transactions lock the rows they share
        in the same order, so they wait for each other but never deadlock (PostgreSQL).
        """
        rows = sorted(
            (json.dumps(dict(zip(metric.labels, values, strict=True)), sort_keys=True), amount)
            for values, amount in amounts.items()
        )
        if not rows:
            return
        insert = upsert_insert(self.conn, metric_totals).values(
            [dict(metric=metric.name, labels=labels, value=value) for labels, value in rows]
        )
        self.conn.execute(
            insert.on_conflict_do_update(
                index_elements=[metric_totals.c.metric, metric_totals.c.labels],
                set_=dict(value=metric_totals.c.value + insert.excluded.value),
            )
        )

    def all(self) -> list[Total]:
        rows = self.conn.execute(
            sa.select(metric_totals.c.metric, metric_totals.c.labels, metric_totals.c.value)
        )
        return [Total(row.metric, json.loads(row.labels), float(row.value)) for row in rows]
