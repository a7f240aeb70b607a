"""Tables the `genesis` command prints."""

from rich.table import Table

from genesis_pipeline.domain.records import StageRow


def stage_table(rows: list[StageRow], *, title: str) -> Table:
    table = Table(title=title)
    for column in ("stage", "version", "attempt", "score", "quality", "consistency", "status"):
        table.add_column(column, no_wrap=column == "stage")
    table.add_column("approved by")
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
        )
    return table


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
