"""Tables the `genesis` command prints."""

from rich.table import Table

from genesis_pipeline.store.records import StageRow


def stage_table(rows: list[StageRow], *, title: str) -> Table:
    table = Table(title=title)
    for column in ("stage", "version", "attempt", "quality", "quality gate", "consistency gate"):
        table.add_column(column)
    table.add_column("status")
    for row in rows:
        latest = row.latest
        gates = {g.gate: g for g in row.gates}
        table.add_row(
            row.stage.value,
            f"v{latest.version} of {row.versions}" if latest else "—",
            str(latest.attempt) if latest else "—",
            f"{latest.quality_score:.2f}" if latest and latest.quality_score is not None else "—",
            _gate(gates.get("quality")),
            _gate(gates.get("consistency")),
            _status(row),
        )
    return table


def _gate(gate: object) -> str:
    if gate is None:
        return "—"
    passed = getattr(gate, "passed", False)
    findings = len(getattr(gate, "findings", []))
    return "[green]passed[/]" if passed else f"[red]failed[/] ({findings} finding(s))"


def _status(row: StageRow) -> str:
    if row.pending_revision is not None:
        return f"[yellow]revision pending[/] ({row.pending_revision.reason})"
    if row.latest is None:
        return "not started"
    if row.latest.status == "passed":
        approved = f", approved by {row.latest.approved_by}" if row.latest.approved_by else ""
        return f"[green]passed[/]{approved}"
    return "[red]failed[/]"
