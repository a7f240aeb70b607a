"""Token budgets: every model call is charged to its session before it is made, and settled
with what it really cost once it was.

`charge` adds the call's allowance (its prompt and the most it may answer) to the session's
`tokens_spent` in one conditional UPDATE, and refuses it when that would pass the budget: two
runs or processes charging at once are serialized by the row, so together they cannot pass it.
`settle` records the call in `generation_calls`, replaces the allowance with the real tokens
and adds the call to the deployment's metric totals, in one transaction. A call that fails
between the two keeps its allowance charged (the provider may have spent it), so a budget can
end a little under its limit, never over it by more than one call's underestimate.
"""

from collections.abc import Mapping

import sqlalchemy as sa

from genesis_pipeline.domain.metrics import (
    BUDGET_EXHAUSTIONS,
    GENERATION_CALLS,
    GENERATION_COST,
    GENERATION_TOKENS,
)
from genesis_pipeline.domain.spending import (
    BudgetExhausted,
    ModelCall,
    ModelPrice,
    Spending,
    call_cost,
)
from genesis_pipeline.store.metric_totals import MetricTotals
from genesis_pipeline.store.repositories import utcnow
from genesis_pipeline.store.tables import generation_calls, sessions


class SessionBudgets:
    """`generation.port.TokenBudget` on the store; `default_budget` applies to sessions that
    did not ask for their own. With `run_cap`, the calls made through this object (one run's:
    a backfill's) also stop at that many tokens together."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        default_budget: int,
        prices: Mapping[str, ModelPrice],
        run_cap: int | None = None,
    ) -> None:
        self.engine = engine
        self.default_budget = default_budget
        self.prices = dict(prices)
        self.run_cap = run_cap
        self.run_spent = 0

    def limit(self) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sessions.c.budget_tokens, self.default_budget)

    def charge(self, session_id: str, *, tokens: int) -> None:
        """Charge `tokens` for a call about to be made, or raise `BudgetExhausted`."""
        if self.run_cap is not None and self.run_spent + tokens > self.run_cap:
            with self.engine.begin() as conn:
                MetricTotals(conn).add(BUDGET_EXHAUSTIONS, {("run",): 1})
            raise BudgetExhausted(
                session_id, spent=self.run_spent, limit=self.run_cap, asked=tokens, run=True
            )
        with self.engine.begin() as conn:
            charged = conn.execute(
                sa.update(sessions)
                .where(sessions.c.session_id == session_id)
                .where(sessions.c.tokens_spent + tokens <= self.limit())
                .values(tokens_spent=sessions.c.tokens_spent + tokens)
            ).rowcount
            if charged:
                self.run_spent += tokens
                return
            row = conn.execute(
                sa.select(sessions.c.tokens_spent, self.limit()).where(
                    sessions.c.session_id == session_id
                )
            ).first()
            MetricTotals(conn).add(BUDGET_EXHAUSTIONS, {("session",): 1})
        spent, limit = row if row is not None else (0, 0)
        raise BudgetExhausted(session_id, spent=int(spent), limit=int(limit), asked=tokens)

    def settle(self, call: ModelCall, *, charged: int) -> None:
        """Record `call` and replace the `charged` allowance with its real tokens."""
        cost = call_cost(self.prices, call.model, call.tokens_in, call.tokens_out)
        self.run_spent += call.tokens_in + call.tokens_out - charged
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(generation_calls).values(
                    session_id=call.session_id,
                    stage=call.stage,
                    attempt=call.attempt,
                    purpose=call.purpose,
                    model=call.model,
                    tokens_in=call.tokens_in,
                    tokens_out=call.tokens_out,
                    cost_usd=cost.usd,
                    priced=cost.priced,
                    latency_ms=call.latency_ms,
                    created_at=utcnow(),
                )
            )
            conn.execute(
                sa.update(sessions)
                .where(sessions.c.session_id == call.session_id)
                .values(
                    tokens_spent=sessions.c.tokens_spent
                    - charged
                    + call.tokens_in
                    + call.tokens_out
                )
            )
            totals = MetricTotals(conn)
            totals.add(GENERATION_CALLS, {(call.stage, call.model, call.purpose): 1})
            totals.add(
                GENERATION_TOKENS,
                {
                    (call.stage, call.model, "in"): call.tokens_in,
                    (call.stage, call.model, "out"): call.tokens_out,
                },
            )
            totals.add(GENERATION_COST, {(call.stage, call.model): cost.usd})


class Spendings:
    """What a session's recorded calls cost, read in a unit of work."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn

    def of(self, session_id: str, *, stage: str | None = None) -> Spending:
        """The calls of the session, or of one of its stages."""
        calls = generation_calls.c
        query = sa.select(
            sa.func.coalesce(sa.func.sum(calls.tokens_in), 0),
            sa.func.coalesce(sa.func.sum(calls.tokens_out), 0),
            sa.func.coalesce(sa.func.sum(calls.cost_usd), 0.0),
            sa.func.count(),
            sa.func.count().filter(calls.priced.is_(False)),
        ).where(calls.session_id == session_id)
        if stage is not None:
            query = query.where(calls.stage == stage)
        tokens_in, tokens_out, cost, count, unpriced = self.conn.execute(query).one()
        return Spending(int(tokens_in), int(tokens_out), float(cost), int(count), int(unpriced))
