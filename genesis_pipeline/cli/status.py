"""`genesis status SESSION`: the stage table of a session from the genesis store."""

import click

from genesis_pipeline.cli.common import console, ensure_dagster_home, fail_usage


@click.command()
@click.argument("session_id")
def status(session_id: str) -> None:
    """Stage table of a session: versions, attempts, scores, gate results, approval."""
    from genesis_pipeline.cli.output import budget_line, stage_table
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store.genesis_store import GenesisStore

    ensure_dagster_home()
    store = GenesisStore(GenesisSettings().resolved_database_url())
    with store.read() as r:
        session = r.sessions.get(session_id)
    if session is None:
        fail_usage(f"no session {session_id!r} in the genesis store")
    archived = (
        f", archived {session.archived_at:%Y-%m-%d} (feedback revives it)"
        if session.archived_at
        else ""
    )
    console.print(
        f"session [bold]{session_id}[/]: {session.status}"
        + (f" ({session.status_reason})" if session.status_reason else "")
        + archived
    )
    rows = store.stage_rows(session_id)
    console.print(stage_table(rows, title=session.spec.premise[:80]))
    console.print(
        budget_line(session, rows, GenesisSettings().session_token_budget), soft_wrap=True
    )
