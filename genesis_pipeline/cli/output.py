"""Tables the `genesis` command prints."""

from rich.table import Table

from genesis_pipeline.domain.records import SessionRecord, StageRow
from genesis_pipeline.domain.spending import Spending


def stage_table(rows: list[StageRow], *, title: str) -> Table:
    table = Table(title=title)
    for column in ("stage", "version", "attempt", "score", "quality", "consistency", "status"):
        table.add_column(column, no_wrap=column == "stage")
    table.add_column("approved by")
    table.add_column("tokens", justify="right")
    table.add_column("cost", justify="right")
    for row in rows:
        latest = row.latest
        gates = {g.gate: g for g in row.gates}
        table.add_row(
            row.stage.value,
            f"v{latest.version}/{row.versions}" if latest else "—",
            str(latest.attempt) if latest else "—",
            f"{latest.quality_score:.2f}" if latest and latest.quality_score is not None else "—",
            _gate(gates.get("quality")),
            _gate(gates.get("consistency")),
            _status(row),
            latest.approved_by or "—" if latest else "—",
            f"{row.spending.tokens:,}",
            _usd(row.spending),
        )
    return table


def budget_line(session: SessionRecord, rows: list[StageRow], default_budget: int) -> str:
    """What the session spent of its token budget, and what that cost."""
    spent = sum((row.spending for row in rows), Spending())
    limit = session.spec.budget_tokens or default_budget
    own = "" if session.spec.budget_tokens else " (GENESIS_SESSION_TOKEN_BUDGET)"
    share = session.tokens_spent / limit
    unpriced = (
        f" (*{spent.unpriced_calls} call(s) to a model without a price in "
        "GENESIS_MODEL_PRICES, counted as $0)"
        if spent.unpriced_calls
        else ""
    )
    return (
        f"tokens: {session.tokens_spent:,} of {limit:,}{own}, {share:.0%}; "
        f"{spent.calls} model call(s), cost {_usd(spent)}{unpriced}"
    )


def _usd(spending: Spending) -> str:
    """The cost; `*` when some calls had no price."""
    if not spending.calls:
        return "—"
    return f"${spending.cost_usd:.4f}" + ("*" if spending.unpriced_calls else "")


def _gate(gate: object) -> str:
    if gate is None:
        return "—"
    passed = getattr(gate, "passed", False)
    findings = len(getattr(gate, "findings", []))
    return "[green]passed[/]" if passed else f"[red]failed[/] ({findings})"


def _status(row: StageRow) -> str:
    if row.pending_revision is not None:
        return f"[yellow]revising[/] ({row.pending_revision.reason})"
    if row.latest is None:
        return "not started"
    return "[green]passed[/]" if row.latest.status == "passed" else "[red]failed[/]"
