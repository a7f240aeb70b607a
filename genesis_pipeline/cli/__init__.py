"""The `genesis` command (docs/CONTRACT.md §7), one module per command group.

Exit codes: 0 success, 1 the work failed, 2 bad input. Each module imports Dagster, Kafka and
the store inside its commands, so `genesis --help` answers at once.
"""

from typing import Any

import click

from genesis_pipeline.cli.common import fail_usage, fail_work, settings_problem
from genesis_pipeline.cli.consume import consume
from genesis_pipeline.cli.db import db
from genesis_pipeline.cli.dev import dev
from genesis_pipeline.cli.events import events
from genesis_pipeline.cli.export import export
from genesis_pipeline.cli.feedback import add_character, add_world_element, feedback
from genesis_pipeline.cli.lint import lint
from genesis_pipeline.cli.relay import relay
from genesis_pipeline.cli.run import run
from genesis_pipeline.cli.session import session
from genesis_pipeline.cli.status import status


class GenesisGroup(click.Group):
    """Errors an operator fixes by configuration are one line, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            from sqlalchemy.exc import OperationalError

            from genesis_pipeline.store.migrate import StoreSchemaError  # sqlalchemy, alembic

            if isinstance(error, StoreSchemaError):
                fail_work(str(error))
            if isinstance(error, OperationalError):  # the database is down or refuses us
                fail_work(f"cannot reach the database: {error.orig or error}".splitlines()[0])
            problem = settings_problem(error)
            if problem is not None:
                fail_usage(problem)
            raise


@click.group(cls=GenesisGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """genesis_pipeline: the Genesis phase of a novel as gated Dagster assets."""


for command in (
    run, status, export, lint, db, dev,  # in this process or on the genesis store
    session, feedback, add_character, add_world_element, events, relay, consume,  # Kafka
):  # fmt: skip
    main.add_command(command)
