"""`genesis dev`: a local broker and `dagster dev` on this workspace (see `dev_stack`)."""

import sys
from pathlib import Path

import click

from genesis_pipeline.cli.common import (
    ensure_dagster_home,
    fail_usage,
    metrics_port_option,
    say,
)
from genesis_pipeline.cli.run import check_provider, local_model_server


@click.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), default=3000, show_default=True, help="UI port."
)
@click.option(
    "--llm",
    type=click.Choice(["offline", "openai", "local"]),
    default=None,
    help="The model behind the stages, as for `genesis run` (default GENESIS_LLM_PROVIDER).",
)
@click.option(
    "--sensors",
    is_flag=True,
    help="Read Kafka with the daemon's sensors instead of `genesis consume` (seconds slower).",
)
@metrics_port_option
def dev(port: int, llm: str | None, sensors: bool, metrics_port: int | None) -> None:
    """A local broker if none answers, `dagster dev` on this workspace and `genesis consume`;
    Ctrl-C stops all.

    The broker (Tansu, in memory) is started on GENESIS_KAFKA_BOOTSTRAP when that is a free
    loopback address; the outbox relay runs as a sensor in the daemon.
    """
    from genesis_pipeline.cli.common import fail_work
    from genesis_pipeline.cli.dev_stack import DevStackError, run_dev_stack

    workspace = Path("workspace.yaml")
    if not workspace.exists():
        fail_usage("run `genesis dev` from the project folder (no workspace.yaml here)")
    check_provider(llm)
    home = ensure_dagster_home()
    with local_model_server(llm) as server:
        model_env = {"GENESIS_LLM_PROVIDER": llm} if llm else {}
        if server is not None:
            model_env |= {
                "GENESIS_LLM_BASE_URL": server.base_url,
                "GENESIS_LLM_MODEL": server.model_alias,
            }
        try:
            code = run_dev_stack(
                workspace,
                home=home,
                webserver_port=port,
                say=say,
                extra_env=model_env,
                sensors=sensors,
                metrics_port=metrics_port,
            )
        except DevStackError as error:
            fail_work(str(error))
    sys.exit(code)
