"""The metrics catalog and its documentation agree: every metric the code serves is in the
contract (docs/CONTRACT.md §12) with its labels, and in the deployment guide's list."""

import re
from pathlib import Path

import pytest

from genesis_pipeline.domain.metrics import CATALOG, Kind, Metric

ROOT = Path(__file__).resolve().parents[3]


def exposed(metric: Metric) -> str:
    return metric.name + ("_total" if metric.kind is Kind.COUNTER else "")


def contract_rows() -> dict[str, str]:
    """Metric name → its row in CONTRACT §12."""
    section = (ROOT / "docs" / "CONTRACT.md").read_text().split("## 12. Metrics")[1]
    return {
        match.group(1): line
        for line in section.splitlines()
        if (match := re.match(r"\| `(genesis_[a-z_]+)` \|", line))
    }


@pytest.mark.parametrize("metric", CATALOG, ids=exposed)
def test_the_contract_names_each_metric_with_its_labels(metric: Metric) -> None:
    row = contract_rows().get(exposed(metric))
    assert row is not None, f"{exposed(metric)} is not in CONTRACT §12"
    for label in metric.labels:
        assert f"`{label}`" in row, f"{exposed(metric)}: label {label} is not in its row"


def test_the_contract_names_no_metric_the_code_does_not_serve() -> None:
    assert set(contract_rows()) == {exposed(m) for m in CATALOG}


def test_the_deployment_guide_lists_each_metric() -> None:
    guide = (ROOT / "deploy" / "README.md").read_text().split("## Metrics and alerts")[1]
    missing = [exposed(m) for m in CATALOG if exposed(m) not in guide]
    assert missing == []
