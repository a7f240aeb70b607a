"""`genesis relay`: the outbox relay as a process of its own."""

import click

from genesis_pipeline.cli.common import (
    console,
    ensure_dagster_home,
    fail_usage,
    metrics_port_option,
    say,
)


@click.command()
@click.option("--once", is_flag=True, help="Publish what is pending now, then exit.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 20_000),  # marking a batch sent binds an id each (SQLite: ≤ 32,766)
    default=1000,
    show_default=True,
    help="Events per transaction.",
)
@metrics_port_option
def relay(once: bool, batch_size: int, metrics_port: int | None) -> None:
    """Publish the outbox to genesis.events until Ctrl-C (the relay sensor does the same job).

    While the broker is down the relay retries with backoff; exit 1 with --once.
    """
    from genesis_pipeline.cli.common import fail_work
    from genesis_pipeline.cli.metrics_server import serving_metrics
    from genesis_pipeline.messaging.kafka import (
        IdempotenceUnsupportedError,
        KafkaConfig,
        KafkaUnavailableError,
    )
    from genesis_pipeline.messaging.relay_process import drain_once, relay_until_stopped
    from genesis_pipeline.messaging.topics import Topic
    from genesis_pipeline.settings import GenesisSettings
    from genesis_pipeline.store.genesis_store import GenesisStore

    ensure_dagster_home()
    settings = GenesisSettings()
    store = GenesisStore(settings.resolved_database_url())
    config = KafkaConfig.from_settings(settings)
    topic = config.topic(Topic.EVENTS)
    try:
        if once:
            published = drain_once(store, config, batch_size=batch_size)
            console.print(f"published {published} event(s) to {topic}", highlight=False)
            return
        console.print(
            f"relaying {store.engine.url.render_as_string()} → {topic} at {config.bootstrap}; "
            "Ctrl-C stops",
            highlight=False,
            soft_wrap=True,
        )
        with serving_metrics(metrics_port or settings.metrics_port, settings.metrics_host, store):
            relay_until_stopped(store, config, batch_size=batch_size, say=say)
    except IdempotenceUnsupportedError as error:
        fail_usage(str(error))  # configuration, not a passing outage
    except KafkaUnavailableError as error:
        fail_work(str(error).splitlines()[0])
    console.print("relay stopped", highlight=False)
