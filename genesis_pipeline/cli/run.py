"""`genesis run`: one whole session in this process, with progress lines, optional human
review, and a local model server for `--llm local`."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

if TYPE_CHECKING:
    from genesis_pipeline.defs.session_runner import SessionRun
    from genesis_pipeline.domain.inbound import FeedbackSubmitted
    from genesis_pipeline.domain.records import VersionRecord
    from genesis_pipeline.domain.session import SessionSpec
    from genesis_pipeline.generation.local_model import LocalModelServer
    from genesis_pipeline.store.genesis_store import GenesisStore

from genesis_pipeline.cli.common import (
    budget_tokens_option,
    console,
    ensure_dagster_home,
    errors,
    fail_usage,
    first_error,
)

PROGRESS_POLL_S = 1.0


@click.command()
@click.option("--premise", required=True, help="The writer's premise (1-4000 characters).")
@click.option("--genre", default=None, help="Genre, e.g. fantasy, mystery, science fiction.")
@click.option("--audience", default=None, help="Intended audience, e.g. adult, young adult.")
@click.option("--max-attempts", type=int, default=3, show_default=True, help="Attempts per stage.")
@click.option("--session-id", default=None, help="Session id (default: made from the premise).")
@budget_tokens_option()
@click.option(
    "--flaw-rate",
    type=float,
    default=None,
    help="Offline generator: share of first drafts that fail a gate on purpose (0-1).",
)
@click.option(
    "--llm",
    type=click.Choice(["offline", "openai", "local"]),
    default=None,
    help="The model behind the stages (default GENESIS_LLM_PROVIDER, else offline): offline is "
    "a deterministic test double, local a GGUF model served by llama.cpp on 127.0.0.1 "
    "(GENESIS_LOCAL_MODEL, default the packaged SmolLM2-135M), openai any "
    "OpenAI-compatible server (GENESIS_LLM_BASE_URL, GENESIS_LLM_MODEL).",
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
    budget_tokens: int | None,
    flaw_rate: float | None,
    llm: str | None,
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
            budget_tokens=budget_tokens,
        )
        if session_id is not None:
            check_session_id(session_id)
    except (ValidationError, ValueError) as error:
        fail_usage(first_error(error))
    if flaw_rate is not None and not 0.0 <= flaw_rate <= 1.0:
        fail_usage(f"--flaw-rate must be between 0 and 1, got {flaw_rate}")
    check_provider(llm)
    ensure_dagster_home()

    from genesis_pipeline.defs.resources import GeneratorResource, genesis_resources
    from genesis_pipeline.domain.session import SessionStatus

    session_id = session_id or new_session_id(spec.premise)
    with local_model_server(llm) as server:
        generator = GeneratorResource(
            provider=llm or "",
            offline_flaw_rate=flaw_rate,
            base_url=server.base_url if server else "",
            model=server.model_alias if server else "",
        )
        result = _run_session(
            session_id, spec, genesis_resources(generator=generator), human_review
        )
    if result.status is SessionStatus.COMPLETED:
        console.print(f"bible: {result.bible_location}")
        return
    errors.print(f"session {session_id} did not complete: {result.status}")
    sys.exit(1)


def check_provider(llm: str | None) -> None:
    """A provider that cannot work as configured is a usage error, before anything starts."""
    from genesis_pipeline.settings import GenesisSettings

    settings = GenesisSettings()
    if (llm or settings.llm_provider) == "openai" and not (
        settings.llm_base_url and settings.llm_model
    ):
        fail_usage("--llm openai needs GENESIS_LLM_BASE_URL and GENESIS_LLM_MODEL")


@contextmanager
def local_model_server(llm: str | None) -> Iterator["LocalModelServer | None"]:
    """With `--llm local` (or GENESIS_LLM_PROVIDER=local), one model server for the whole
    command, stopped when it ends; None for other providers."""
    from genesis_pipeline.cli.common import fail_work
    from genesis_pipeline.generation.local_model import LocalModelError, start_configured_server
    from genesis_pipeline.settings import GenesisSettings

    settings = GenesisSettings()
    if (llm or settings.llm_provider) != "local" or settings.llm_base_url:
        yield None
        return
    try:
        server = start_configured_server(settings)
    except LocalModelError as error:
        fail_work(str(error))
    console.print(
        f"model [bold]{server.model_alias}[/] served by llama.cpp at {server.base_url}",
        highlight=False,
    )
    try:
        yield server
    finally:
        server.stop()


def _run_session(
    session_id: str, spec: "SessionSpec", resources: dict[str, Any], human_review: bool
) -> "SessionRun":
    import dagster as dg

    from genesis_pipeline.cli.output import budget_line, stage_table
    from genesis_pipeline.defs.session_runner import SessionExistsError, run_session
    from genesis_pipeline.settings import GenesisSettings

    console.print(f"session [bold]{session_id}[/]: running six stages in this process …")
    store = resources["genesis_store"].store
    with dg.DagsterInstance.get() as instance, stage_progress(store, session_id):
        try:
            result = run_session(
                session_id,
                spec,
                instance=instance,
                resources=resources,
                log_level="CRITICAL",  # progress lines say what happened; the UI has the logs
                review=ask_the_writer if human_review else None,
            )
        except SessionExistsError as error:
            fail_usage(str(error))
    rows = store.stage_rows(session_id)
    console.print(stage_table(rows, title=f"session {session_id}"))
    line = budget_line(store.session(session_id), rows, GenesisSettings().session_token_budget)
    console.print(line, soft_wrap=True)
    return result


@contextmanager
def stage_progress(store: "GenesisStore", session_id: str) -> Iterator[None]:
    """A line for each of the session's events as the stages store them (as `session new
    --wait` shows them): a stage on a real model takes minutes."""
    import threading

    from genesis_pipeline.cli.event_lines import progress_line

    stopped = threading.Event()
    shown = 0

    def show_new() -> None:
        nonlocal shown
        with store.read() as r:
            events = r.outbox.for_session(session_id)
        for event in events[shown:]:
            line = progress_line(event)
            if line is not None:
                console.print(f"  {line}", highlight=False)
        shown = len(events)

    def poll() -> None:
        while not stopped.wait(PROGRESS_POLL_S):
            show_new()

    watcher = threading.Thread(target=poll, name="genesis-run-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stopped.set()
        watcher.join()
        show_new()


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
