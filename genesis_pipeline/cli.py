"""The `genesis` command (CONTRACT §7). Exit codes: 0 success, 1 the work failed, 2 bad input."""

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError

if TYPE_CHECKING:
    from genesis_pipeline.domain.inbound import FeedbackSubmitted
    from genesis_pipeline.store.records import VersionRecord

from genesis_pipeline.cli_common import (
    console,
    ensure_dagster_home,
    errors,
    fail_usage,
    first_error,
)
from genesis_pipeline.cli_kafka import add_character, add_world_element, feedback
from genesis_pipeline.cli_relay import relay
from genesis_pipeline.cli_session import session
from genesis_pipeline.cli_tail import events


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """genesis_pipeline: the Genesis phase of a novel as gated Dagster assets."""


# Talking to the pipeline over Kafka (cli_session.py, cli_kafka.py, cli_tail.py, cli_relay.py).
for command in (session, feedback, add_character, add_world_element, events, relay):
    main.add_command(command)


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
@click.option(
    "--human-review",
    is_flag=True,
    help="Review mode human: show each stage that passed its gates and ask to accept, "
    "modify or regenerate it before the next stage runs.",
)
def run(
    premise: str,
    genre: str | None,
    audience: str | None,
    max_attempts: int,
    session_id: str | None,
    flaw_rate: float | None,
    human_review: bool,
) -> None:
    """Run one whole session in this process, revisions included; print the stage table."""
    from genesis_pipeline.domain.session import (
        ReviewMode,
        SessionSpec,
        check_session_id,
        new_session_id,
    )

    try:
        spec = SessionSpec(
            premise=premise,
            genre=genre,
            audience=audience,
            max_attempts=max_attempts,
            review_mode=ReviewMode.HUMAN if human_review else ReviewMode.AUTO,
        )
        if session_id is not None:
            check_session_id(session_id)
    except (ValidationError, ValueError) as error:
        fail_usage(first_error(error))
    if flaw_rate is not None and not 0.0 <= flaw_rate <= 1.0:
        fail_usage(f"--flaw-rate must be between 0 and 1, got {flaw_rate}")
    ensure_dagster_home()

    import dagster as dg

    from genesis_pipeline.cli_output import stage_table
    from genesis_pipeline.domain.session import SessionStatus
    from genesis_pipeline.generation.resources import GeneratorResource
    from genesis_pipeline.resources import genesis_resources
    from genesis_pipeline.session_runner import SessionExistsError, run_session

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
                review=ask_the_writer if human_review else None,
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


def ask_the_writer(version: "VersionRecord") -> "FeedbackSubmitted":
    """`genesis run --human-review`: show a version that passed its gates; ask what to do."""
    from rich.markdown import Markdown

    from genesis_pipeline.domain.inbound import FeedbackAction, FeedbackSubmitted
    from genesis_pipeline.domain.markdown import render_artifact_markdown

    console.rule(f"{version.stage} v{version.version} passed its gates")
    console.print(Markdown(render_artifact_markdown(version.stage, version.artifact())))
    action = click.prompt(
        "accept, modify or regenerate?",
        type=click.Choice([a.value for a in FeedbackAction]),
        default=FeedbackAction.ACCEPT.value,
    )
    instructions = None
    if action == FeedbackAction.MODIFY:
        instructions = click.prompt("what should change?")
    return FeedbackSubmitted(stage=version.stage, action=action, instructions=instructions)


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
@click.option(
    "--to",
    "destination",
    required=True,
    help="Folder, file:// URI or s3://bucket/prefix (AWS_ENDPOINT_URL and AWS_* honoured).",
)
def export(session_id: str, destination: str) -> None:
    """Write the session's bible (JSON + Markdown) from its passed versions."""
    from genesis_pipeline.cli_common import fail_work
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store.export import ExportError, ExportLocationError, write_bible
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
    except (UnknownSessionError, IncompleteSessionError, ExportLocationError) as error:
        fail_usage(str(error))
    except ExportError as error:  # S3 said no or did not answer: the work failed
        fail_work(str(error))
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
        fail_usage(f"{bible_json} is not an exported bible: {first_error(error)}")
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
@click.option(
    "--port", type=click.IntRange(1, 65535), default=3000, show_default=True, help="UI port."
)
def dev(port: int) -> None:
    """A local broker if none answers, then `dagster dev` on this workspace; Ctrl-C stops all.

    The broker (Tansu, in memory) is started on GENESIS_KAFKA_BOOTSTRAP when that is a free
    loopback address; the outbox relay and the Kafka consumers run as sensors in the daemon.
    """
    from genesis_pipeline.cli_common import fail_work
    from genesis_pipeline.dev_stack import DevStackError, run_dev_stack

    workspace = Path("workspace.yaml")
    if not workspace.exists():
        fail_usage("run `genesis dev` from the project folder (no workspace.yaml here)")
    home = ensure_dagster_home()
    try:
        code = run_dev_stack(
            workspace,
            home=home,
            webserver_port=port,
            say=lambda line: console.print(line, highlight=False, soft_wrap=True),
        )
    except DevStackError as error:
        fail_work(str(error))
    sys.exit(code)
