"""What every `genesis` command shares: the consoles and how a user mistake is reported."""

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from genesis_pipeline.settings import dagster_home

F = TypeVar("F", bound=Callable[..., Any])

console = Console()
errors = Console(stderr=True)


def say(line: str) -> None:
    """A line of a long-running command's progress, flushed at once: its output is often a
    pipe or a log file, read while the command runs."""
    console.print(line, highlight=False, soft_wrap=True)
    console.file.flush()


def fail_usage(message: str) -> NoReturn:
    """A user mistake: one line on stderr, exit 2, no stack trace."""
    errors.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(2)


def fail_work(message: str) -> NoReturn:
    """The work could not be done (e.g. the broker is down): one line on stderr, exit 1."""
    errors.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    sys.exit(1)


def first_error(error: Exception) -> str:
    """The first problem a validation error names, as one line."""
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(error)


def settings_problem(error: Exception) -> str | None:
    """One line naming the GENESIS_* variable a settings error is about, or None when `error`
    is not about the settings."""
    from pydantic_settings import SettingsError

    if isinstance(error, ValidationError) and error.title == "GenesisSettings":
        first = error.errors()[0]
        name = "GENESIS_" + "_".join(str(p) for p in first["loc"][:1]).upper()
        where = ".".join(str(p) for p in first["loc"][1:])
        return f"{name}: {where + ': ' if where else ''}{first['msg']}"
    if isinstance(error, SettingsError):  # a complex value that is not JSON
        field = str(error).split('"')[1] if '"' in str(error) else "?"
        return f"GENESIS_{field.upper()}: not valid JSON"
    return None


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


BUDGET_TOKENS_HELP = (
    "Tokens the session's model calls may spend (default GENESIS_SESSION_TOKEN_BUDGET)."
)


def budget_tokens_option(help: str = BUDGET_TOKENS_HELP) -> Callable[[F], F]:
    """`--budget-tokens N`: a session's token budget (docs/decisions/0008-token-budgets.md)."""
    return click.option("--budget-tokens", type=int, default=None, metavar="N", help=help)


def metrics_port_option(command: F) -> F:
    """`--metrics-port PORT`: serve Prometheus metrics (docs/CONTRACT.md §12)."""
    return click.option(
        "--metrics-port",
        type=click.IntRange(1, 65535),
        default=None,
        metavar="PORT",
        help="Serve Prometheus metrics at /metrics on this port, on GENESIS_METRICS_HOST "
        "(127.0.0.1) (default GENESIS_METRICS_PORT; none when unset).",
    )(command)
