"""`genesis relay`: the outbox relay as a process of its own."""

import click

from genesis_pipeline.cli.common import console, ensure_dagster_home, fail_usage, say


@click.command()
@click.option("--once", is_flag=True, help="Publish what is pending now, then exit.")
@click.option(
    "--batch-size",
    type=click.IntRange(1, 20_000),  # marking a batch sent binds an id each (SQLite: ≤ 32,766)
    default=1000,
    show_default=True,
    help="Events per transaction.",
)
def relay(once: bool, batch_size: int) -> None:
    """Publish the outbox to genesis.events until Ctrl-C (the relay sensor does the same job).

    While the broker is down the relay retries with backoff; exit 1 with --once.
    """
    from sqlalchemy.exc import OperationalError

    from genesis_pipeline.cli.common import fail_work
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
    store = GenesisStore(GenesisSettings().resolved_database_url())
    config = KafkaConfig.from_settings()
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
        relay_until_stopped(
            store,
            config,
            batch_size=batch_size,
            say=say,
        )
    except IdempotenceUnsupportedError as error:
        fail_usage(str(error))  # configuration, not a passing outage
    except KafkaUnavailableError as error:
        fail_work(str(error).splitlines()[0])
    except OperationalError as error:  # --once: the store is down (the loop retries instead)
        fail_work(f"cannot reach the genesis store: {error}".splitlines()[0])
    console.print("relay stopped", highlight=False)
