"""The `genesis` command (CONTRACT §7). Exit codes: 0 success, 1 the work failed, 2 bad input."""

import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import click
from pydantic import ValidationError
from rich.console import Console

from genesis_pipeline.settings import dagster_home

console = Console()
errors = Console(stderr=True)


def fail_usage(message: str) -> NoReturn:
    """A user mistake: one line on stderr, exit 2, no stack trace."""
    errors.print(f"[red]error:[/] {message}", highlight=False)
    sys.exit(2)


def ensure_dagster_home() -> Path:
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():  # outside the project folder: Dagster's defaults, said explicitly
        config.write_text(
            "# Created by `genesis`: the default SQLite instance.\ntelemetry:\n  enabled: false\n"
        )
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """genesis_pipeline: the Genesis phase of a novel as gated Dagster assets."""


@main.command()
@click.option("--premise", required=True, help="The writer's premise (1-4000 characters).")
@click.option("--genre", default=None, help="Genre, e.g. fantasy, mystery, science fiction.")
@click.option("--audience", default=None, help="Intended audience, e.g. adult, young adult.")
@click.option("--max-attempts", type=int, default=3, show_default=True, help="Attempts per stage.")
@click.option("--session-id", default=None, help="Session id (default: made from the premise).")
@click.option(
    "--flaw-rate",
    type=float,
    default=None,
    help="Offline generator: share of first drafts that fail a gate on purpose (0-1).",
)
def run(
    premise: str,
    genre: str | None,
    audience: str | None,
    max_attempts: int,
    session_id: str | None,
    flaw_rate: float | None,
) -> None:
    """Run one whole session in this process, revisions included; print the stage table."""
    from genesis_pipeline.domain.session import SessionSpec, check_session_id

    try:
        spec = SessionSpec(
            premise=premise, genre=genre, audience=audience, max_attempts=max_attempts
        )
        if session_id is not None:
            check_session_id(session_id)
    except (ValidationError, ValueError) as error:
        fail_usage(_first_error(error))
    if flaw_rate is not None and not 0.0 <= flaw_rate <= 1.0:
        fail_usage(f"--flaw-rate must be between 0 and 1, got {flaw_rate}")
    ensure_dagster_home()

    import dagster as dg

    from genesis_pipeline.cli_output import stage_table
    from genesis_pipeline.domain.session import SessionStatus
    from genesis_pipeline.generation.resources import GeneratorResource
    from genesis_pipeline.resources import genesis_resources
    from genesis_pipeline.session_runner import SessionExistsError, new_session_id, run_session

    session_id = session_id or new_session_id(spec.premise)
    resources = genesis_resources(generator=GeneratorResource(offline_flaw_rate=flaw_rate))
    console.print(f"session [bold]{session_id}[/]: running six stages in this process …")

    def progress(planned, outcome) -> None:  # type: ignore[no-untyped-def]
        stages = ", ".join(s.value for s in planned.stages)
        state = "ok" if outcome.success else "a gate failed → revision"
        console.print(f"  run {outcome.run_id[:8]} ({stages}): {state}", highlight=False)

    with dg.DagsterInstance.get() as instance:
        try:
            result = run_session(
                session_id,
                spec,
                instance=instance,
                resources=resources,
                on_run=progress,
                log_level="CRITICAL",  # progress lines say what happened; the UI has the logs
            )
        except SessionExistsError as error:
            fail_usage(str(error))
    store = resources["genesis_store"].store
    console.print(stage_table(store.stage_rows(session_id), title=f"session {session_id}"))
    if result.status is SessionStatus.COMPLETED:
        console.print(f"bible: {result.bible_location}")
        return
    errors.print(f"session {session_id} did not complete: {result.status}")
    sys.exit(1)


@main.command()
@click.argument("session_id")
def status(session_id: str) -> None:
    """Stage table of a session: versions, attempts, scores, gate results, approval."""
    from genesis_pipeline.cli_output import stage_table
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store.genesis_store import GenesisStore

    ensure_dagster_home()
    store = GenesisStore(GenesisSettings().resolved_database_url())
    with store.read() as r:
        session = r.sessions.get(session_id)
    if session is None:
        fail_usage(f"no session {session_id!r} in the genesis store")
    console.print(
        f"session [bold]{session_id}[/]: {session.status}"
        + (f" ({session.status_reason})" if session.status_reason else "")
    )
    console.print(stage_table(store.stage_rows(session_id), title=session.spec.premise[:80]))


@main.command()
@click.argument("session_id")
@click.option("--to", "destination", required=True, help="Folder or file:// URI to write to.")
def export(session_id: str, destination: str) -> None:
    """Write the session's bible (JSON + Markdown) from its passed versions."""
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store.export import ExportError, write_bible
    from genesis_pipeline.store.genesis_store import (
        GenesisStore,
        IncompleteSessionError,
        UnknownSessionError,
    )

    ensure_dagster_home()
    store = GenesisStore(GenesisSettings().resolved_database_url())
    try:
        document = store.bible_document(session_id)
        location = write_bible(document, destination)
    except (UnknownSessionError, IncompleteSessionError, ExportError) as error:
        fail_usage(str(error))
    console.print(location)


@main.command()
@click.argument("bible_json", type=click.Path(dir_okay=False, path_type=Path))
def lint(bible_json: Path) -> None:
    """Run every quality and consistency gate over an exported bible; print findings as JSON."""
    from genesis_pipeline.domain.bible import BibleDocument
    from genesis_pipeline.gates.evaluate import lint_bible

    try:
        document = BibleDocument.model_validate_json(bible_json.read_bytes())
    except OSError as error:
        fail_usage(f"cannot read {bible_json}: {error.strerror}")
    except ValidationError as error:
        fail_usage(f"{bible_json} is not an exported bible: {_first_error(error)}")
    verdicts = lint_bible(document)
    report = [v.model_dump(mode="json") for v in verdicts]
    click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    sys.exit(0 if all(v.passed for v in verdicts) else 1)


@main.group()
def db() -> None:
    """The genesis store's schema."""


@db.command()
def upgrade() -> None:
    """Apply the Alembic migrations to GENESIS_DATABASE_URL (or the SQLite default)."""
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store import migrate
    from genesis_pipeline.store.engine import make_engine

    ensure_dagster_home()
    url = GenesisSettings().resolved_database_url()
    engine = make_engine(url)
    try:
        before, after = migrate.upgrade(engine)
    except Exception as error:  # a driver error: show its one line, not the traceback
        fail_usage(f"cannot migrate {engine.url.render_as_string()}: {error}".splitlines()[0])
    console.print(
        f"genesis store at {engine.url.render_as_string()}: {before or 'empty'} → {after}"
    )


@main.command()
def dev() -> None:
    """Start `dagster dev` on this workspace with DAGSTER_HOME set; Ctrl-C stops it."""
    import subprocess

    workspace = Path("workspace.yaml")
    if not workspace.exists():
        fail_usage("run `genesis dev` from the project folder (no workspace.yaml here)")
    ensure_dagster_home()
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace)]
    try:
        sys.exit(subprocess.call(command))
    except KeyboardInterrupt:
        sys.exit(0)


def _first_error(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(error)
