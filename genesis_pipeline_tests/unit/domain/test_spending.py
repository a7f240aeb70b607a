"""Prices turn tokens into cost; a model without a price costs nothing and says so."""

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from genesis_pipeline.domain.spending import Cost, ModelPrice, Spending, call_cost
from genesis_pipeline.settings import GenesisSettings

PRICES = {"gpt-4o-mini": ModelPrice(input=0.15, output=0.6)}


def test_a_call_costs_its_tokens_at_the_models_price_per_million():
    cost = call_cost(PRICES, "gpt-4o-mini", tokens_in=2_000_000, tokens_out=500_000)
    assert cost == Cost(0.15 * 2 + 0.6 * 0.5)
    assert str(cost) == "$0.6000"


def test_a_model_without_a_price_costs_zero_and_says_so():
    cost = call_cost(PRICES, "SmolLM2-135M", tokens_in=10, tokens_out=10)
    assert cost == Cost(0.0, priced=False)
    assert str(cost) == "$0 (no price for the model)"


def test_spendings_add_up():
    total = Spending(10, 5, 0.5, 1, 0) + Spending(1, 2, 0.25, 2, 2)
    assert total == Spending(11, 7, 0.75, 3, 2) and total.tokens == 18


def test_the_price_table_and_budget_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GENESIS_MODEL_PRICES", '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}')
    monkeypatch.setenv("GENESIS_SESSION_TOKEN_BUDGET", "50000")
    settings = GenesisSettings()
    assert settings.model_prices == PRICES and settings.session_token_budget == 50_000


@pytest.mark.parametrize(
    ("prices", "error"),
    [
        ('{"m": {"input": -1, "output": 0}}', ValidationError),
        ('{"m": {"input": 1}}', ValidationError),
        ("not json", SettingsError),
    ],
)
def test_a_malformed_price_table_is_refused(monkeypatch, prices, error):
    monkeypatch.setenv("GENESIS_MODEL_PRICES", prices)
    with pytest.raises(error):
        GenesisSettings()
