"""The deployment's metric totals on the store, and what a scrape reads from it: the totals
follow the facts they count (a settled call, a refused one, a gate verdict, a published
event), and the outbox gauges follow the backlog."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest

from genesis_pipeline.cli.metrics_server import StoreCollector
from genesis_pipeline.domain.metrics import DLQ_MESSAGES, GENERATION_CALLS
from genesis_pipeline.domain.spending import BudgetExhausted, ModelCall, ModelPrice
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.service import handlers
from genesis_pipeline.store.budgets import SessionBudgets
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import outbox
from genesis_pipeline_tests.integration.messaging.conftest import fill_outbox
from genesis_pipeline_tests.integration.store.conftest import concept_artifact, outcome_for
from genesis_pipeline_tests.support.metrics import Samples, parse


def scrape(store: GenesisStore) -> Samples:
    """What Prometheus would read from the store's collector."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(store))
    return parse(generate_latest(registry).decode())


def test_totals_add_up_per_metric_and_labels(store: GenesisStore) -> None:
    store.add_totals(GENERATION_CALLS, {("concept", "m1", "draft"): 2, ("story", "m1", "judge"): 0})
    store.add_totals(
        GENERATION_CALLS, {("concept", "m1", "draft"): 1, ("concept", "m2", "draft"): 1}
    )
    store.add_totals(DLQ_MESSAGES, {("genesis.commands", "bad_json"): 1})

    samples = scrape(store)

    calls = samples["genesis_generation_calls_total"]
    assert calls == {
        (("model", "m1"), ("purpose", "draft"), ("stage", "concept")): 3,
        (("model", "m2"), ("purpose", "draft"), ("stage", "concept")): 1,
        (("model", "m1"), ("purpose", "judge"), ("stage", "story")): 0,
    }
    dead = samples["genesis_dlq_messages_total"]
    assert dead == {(("reason", "bad_json"), ("topic", "genesis.commands")): 1}


def test_a_settled_call_a_refused_one_and_gate_verdicts_are_counted(
    store: GenesisStore, session_id: str
) -> None:
    prices = {"gpt-test": ModelPrice(input=2.0, output=8.0)}
    budgets = SessionBudgets(store.engine, default_budget=2_000, prices=prices, run_cap=3_000)
    budgets.charge(session_id, tokens=1_000)
    budgets.settle(
        ModelCall(session_id, "concept", 1, "draft", "gpt-test", 300, 200, 10.0), charged=1_000
    )
    with pytest.raises(BudgetExhausted):
        budgets.charge(session_id, tokens=1_600)  # the session's 2,000
    with pytest.raises(BudgetExhausted):
        budgets.charge(session_id, tokens=2_600)  # the run's 3,000
    handlers.record_outcome(
        store.unit_of_work(),
        outcome_for(store, session_id, Stage.CONCEPT, consistency=False),
        concept_artifact(),
        run_id=None,
        summary="a draft",
    )

    samples = scrape(store)

    concept = (("model", "gpt-test"), ("stage", "concept"))
    assert samples["genesis_generation_calls_total"] == {
        (("model", "gpt-test"), ("purpose", "draft"), ("stage", "concept")): 1
    }
    assert samples["genesis_generation_tokens_total"] == {
        (("direction", "in"), *concept): 300,
        (("direction", "out"), *concept): 200,
    }
    assert samples["genesis_generation_cost_usd_total"][concept] == pytest.approx(0.0022)
    assert samples["genesis_budget_exhaustions_total"] == {
        (("limit", "run"),): 1,
        (("limit", "session"),): 1,
    }
    assert samples["genesis_gate_verdicts_total"] == {
        (("gate", "consistency"), ("stage", "concept"), ("verdict", "failed")): 1,
        (("gate", "quality"), ("stage", "concept"), ("verdict", "passed")): 1,
    }


def test_the_outbox_gauges_follow_the_backlog(store: GenesisStore) -> None:
    assert scrape(store)["genesis_outbox_backlog"][()] == 0
    fill_outbox(store, sessions=2, per_session=3)
    with store.engine.begin() as conn:  # the oldest row waits for a minute
        first = conn.execute(sa.select(sa.func.min(outbox.c.id))).scalar_one()
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == first)
            .values(created_at=datetime.now(UTC) - timedelta(minutes=1))
        )

    waiting = scrape(store)
    assert waiting["genesis_outbox_backlog"][()] == 6
    assert 60 <= waiting["genesis_outbox_oldest_unsent_age_seconds"][()] < 120

    with store.unit_of_work() as uow:
        uow.outbox.mark_sent(list(range(first, first + 6)))
        uow.commit()
    sent = scrape(store)
    assert sent["genesis_outbox_backlog"][()] == 0
    assert sent["genesis_outbox_oldest_unsent_age_seconds"][()] == 0
