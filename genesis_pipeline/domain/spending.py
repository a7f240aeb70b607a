"""What generation costs: model prices, a session's token budget, and the error that stops a
call the budget cannot pay for."""

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

# The unit of GENESIS_MODEL_PRICES, as providers publish their prices.
PER_MILLION = 1_000_000


class ModelPrice(BaseModel):
    """USD per million input (prompt) and output (completion) tokens of one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float = Field(ge=0)
    output: float = Field(ge=0)


@dataclass(frozen=True)
class Cost:
    usd: float
    # False when the model has no price: the cost is counted as 0, and says so.
    priced: bool = True

    def __str__(self) -> str:
        return f"${self.usd:.4f}" if self.priced else "$0 (no price for the model)"


def call_cost(prices: dict[str, ModelPrice], model: str, tokens_in: int, tokens_out: int) -> Cost:
    """The cost of one call to `model`; 0, unpriced, for a model the table does not name."""
    price = prices.get(model)
    if price is None:
        return Cost(0.0, priced=False)
    return Cost((tokens_in * price.input + tokens_out * price.output) / PER_MILLION)


@dataclass(frozen=True)
class Spending:
    """Tokens and cost of some calls: an attempt's, a stage's or a whole session's."""

    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    # Calls to a model without a price (counted as 0 USD).
    unpriced_calls: int = 0

    @property
    def tokens(self) -> int:
        return self.tokens_in + self.tokens_out

    def __add__(self, other: "Spending") -> "Spending":
        return Spending(
            self.tokens_in + other.tokens_in,
            self.tokens_out + other.tokens_out,
            self.cost_usd + other.cost_usd,
            self.calls + other.calls,
            self.unpriced_calls + other.unpriced_calls,
        )


class BudgetExhausted(Exception):
    """A model call was not made: the session's token budget cannot pay for it."""

    error_class = "budget_exhausted"

    def __init__(
        self, session_id: str, *, spent: int, limit: int, asked: int, run: bool = False
    ) -> None:
        if run:  # a backfill run's own cap, GENESIS_STALE_BACKFILL_RUN_TOKENS
            message = (
                f"token cap of this run exhausted: it has spent {spent:,} of its {limit:,} "
                f"tokens (GENESIS_STALE_BACKFILL_RUN_TOKENS), and the next call needs up to "
                f"{asked:,}"
            )
        else:
            message = (
                f"token budget exhausted: session {session_id} has spent {spent:,} of its "
                f"{limit:,} tokens, and the next call needs up to {asked:,}; raise it with "
                f"`genesis session resume {session_id} --budget-tokens N`"
            )
        super().__init__(message)
        self.session_id = session_id
        self.spent = spent
        self.limit = limit
        self.asked = asked


@dataclass(frozen=True)
class ModelCall:
    """One model call made for a stage attempt, as its session is charged for it."""

    session_id: str
    stage: str
    attempt: int
    purpose: str  # "draft" (re-asks included) or "judge"
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float
