"""Token budgets on the store: a call is charged before it is made and settled with what it
cost; a charge the budget cannot pay for is refused, also when processes charge at once."""

import threading

import pytest
import sqlalchemy as sa

from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.spending import BudgetExhausted, ModelCall, ModelPrice, Spending
from genesis_pipeline.service import handlers
from genesis_pipeline.store.budgets import SessionBudgets
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import generation_calls

PRICES = {"gpt-test": ModelPrice(input=2.0, output=8.0)}


def new_session(store: GenesisStore, session_id: str, budget: int | None) -> None:
    spec = SessionSpec(premise="A lighthouse keeper finds a map", budget_tokens=budget)
    handlers.create_session(store.unit_of_work(), session_id, spec, correlation_id="corr")


def call(session_id: str, stage: str = "concept", model: str = "gpt-test", **tokens: int):
    return ModelCall(
        session_id=session_id,
        stage=stage,
        attempt=1,
        purpose="draft",
        model=model,
        tokens_in=tokens.get("tokens_in", 300),
        tokens_out=tokens.get("tokens_out", 200),
        latency_ms=12.5,
    )


def test_a_call_is_charged_its_allowance_then_what_it_cost(store: GenesisStore) -> None:
    new_session(store, "harbor-01", budget=2_000)
    budgets = SessionBudgets(store.engine, default_budget=10**6, prices=PRICES)

    budgets.charge("harbor-01", tokens=1_500)
    assert store.session("harbor-01").tokens_spent == 1_500  # the allowance, while it runs
    budgets.settle(call("harbor-01"), charged=1_500)
    assert store.session("harbor-01").tokens_spent == 500

    # 500 spent of 2,000: an allowance of 1,500 fits exactly, one token more does not.
    with pytest.raises(BudgetExhausted) as refused:
        budgets.charge("harbor-01", tokens=1_501)
    assert (refused.value.spent, refused.value.limit, refused.value.asked) == (500, 2_000, 1_501)
    assert "spent 500 of its 2,000 tokens" in str(refused.value)
    assert store.session("harbor-01").tokens_spent == 500  # a refused charge takes nothing
    budgets.charge("harbor-01", tokens=1_500)
    budgets.settle(call("harbor-01", "story", model="llama", tokens_in=900, tokens_out=300),
                   charged=1_500)  # fmt: skip

    assert store.spending("harbor-01") == Spending(
        tokens_in=1_200, tokens_out=500, cost_usd=(300 * 2.0 + 200 * 8.0) / 1e6, calls=2,
        unpriced_calls=1,
    )  # fmt: skip
    [concept, story] = store.stage_rows("harbor-01")[:2]
    assert (concept.spending.tokens, story.spending.tokens) == (500, 1_200)
    assert story.spending.unpriced_calls == 1 and story.spending.cost_usd == 0.0
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(generation_calls.c.model, generation_calls.c.priced)).all()
    assert sorted(rows) == [("gpt-test", True), ("llama", False)]


def test_a_session_without_a_budget_of_its_own_has_the_default(store: GenesisStore) -> None:
    new_session(store, "harbor-02", budget=None)
    budgets = SessionBudgets(store.engine, default_budget=1_000, prices={})
    budgets.charge("harbor-02", tokens=1_000)
    with pytest.raises(BudgetExhausted) as refused:
        budgets.charge("harbor-02", tokens=1)
    assert refused.value.limit == 1_000
    # Resuming with a larger budget is what lets it go on.
    with store.unit_of_work() as uow:
        uow.sessions.set_budget("harbor-02", 1_001)
        uow.commit()
    budgets.charge("harbor-02", tokens=1)


def test_a_runs_cap_stops_its_calls_whatever_the_session_has_left(store: GenesisStore) -> None:
    new_session(store, "harbor-04", budget=10**6)
    budgets = SessionBudgets(store.engine, default_budget=10**6, prices={}, run_cap=1_000)
    budgets.charge("harbor-04", tokens=600)
    budgets.settle(call("harbor-04"), charged=600)  # the call used 500
    with pytest.raises(BudgetExhausted) as refused:
        budgets.charge("harbor-04", tokens=501)
    assert "token cap of this run exhausted: it has spent 500 of its 1,000" in str(refused.value)
    budgets.charge("harbor-04", tokens=500)
    assert store.session("harbor-04").tokens_spent == 1_000


@pytest.mark.postgres
def test_concurrent_charges_never_pass_the_budget(postgres_url: str) -> None:
    """Twelve threads, each with its own connection, charge one session at once: exactly as
    many allowances as fit are granted, and the session never spends past its budget."""
    store = GenesisStore(postgres_url)
    new_session(store, "harbor-03", budget=10_000)
    budgets = SessionBudgets(store.engine, default_budget=10**6, prices={})
    start, granted, refused = threading.Barrier(12), [], []

    def charge() -> None:
        start.wait()
        for _ in range(5):
            try:
                budgets.charge("harbor-03", tokens=700)
            except BudgetExhausted:
                refused.append(1)
                continue
            granted.append(1)
            # The call came out shorter than its allowance: the rest goes back to the budget.
            budgets.settle(call("harbor-03", tokens_in=300, tokens_out=200), charged=700)

    threads = [threading.Thread(target=charge) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Unserialized charges would grant more than fit (each saw room the others then took).
    spent = store.session("harbor-03").tokens_spent
    assert spent == 500 * len(granted) <= 10_000
    assert len(granted) + len(refused) == 60 and refused
    assert store.spending("harbor-03").calls == len(granted)
    # The metric totals, added to by every settle and refusal at once, lost none of them.
    with store.read() as r:
        totals = {(t.metric, t.labels.get("limit")): t.value for t in r.metric_totals.all()}
    assert totals[("genesis_generation_calls", None)] == len(granted)
    assert totals[("genesis_budget_exhaustions", "session")] == len(refused)
