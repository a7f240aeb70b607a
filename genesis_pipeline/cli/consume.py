"""`genesis consume`: the Kafka consumer group that starts runs at once (see
`defs/automation/kafka_consumer.py` and docs/deployment in deploy/README.md)."""

import click

from genesis_pipeline.cli.common import (
    console,
    ensure_dagster_home,
    fail_usage,
    metrics_port_option,
    say,
)


@click.command()
@click.option("--group", default=None, help="Consumer group (default GENESIS_CONSUMER_GROUP).")
@click.option(
    "--dagster-url",
    default=None,
    help="The Dagster webserver runs are submitted to (default GENESIS_DAGSTER_URL).",
)
@metrics_port_option
def consume(group: str | None, dagster_url: str | None, metrics_port: int | None) -> None:
    """Read genesis.commands and genesis.feedback as a Kafka consumer group until Ctrl-C.

    Each message takes effect through the same handlers as the Kafka sensors, and its runs are
    submitted at once through the webserver. Needs GENESIS_KAFKA_ENTRY=consumer here and on
    the Dagster daemon, whose sensors then stand aside. Run several for more partitions.
    """
    import asyncio
    import signal

    from genesis_pipeline.settings import GenesisSettings

    settings = GenesisSettings()
    if settings.kafka_entry != "consumer":
        fail_usage(
            "GENESIS_KAFKA_ENTRY is not `consumer`: the daemon's Kafka sensors read these "
            "topics. Set GENESIS_KAFKA_ENTRY=consumer here and on the Dagster daemon"
        )
    ensure_dagster_home()

    import dagster as dg

    from genesis_pipeline.cli.common import fail_work
    from genesis_pipeline.cli.metrics_server import serving_metrics
    from genesis_pipeline.defs.automation.kafka_consumer import (
        InboundConsumer,
        RunSubmitter,
        consume_until,
    )
    from genesis_pipeline.defs.automation.kafka_consumer import log as consumer_log
    from genesis_pipeline.messaging.kafka import KafkaConfig, KafkaUnavailableError
    from genesis_pipeline.messaging.relay_process import process_output
    from genesis_pipeline.store.genesis_store import GenesisStore

    store = GenesisStore(settings.resolved_database_url())
    instance = dg.DagsterInstance.get()
    inbound = InboundConsumer(
        KafkaConfig.from_settings(settings),
        store,
        instance,
        RunSubmitter(instance, dagster_url or settings.dagster_url),
        max_attempts=settings.inbound_max_attempts,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await consume_until(stop, inbound, group or settings.consumer_group)

    port = metrics_port or settings.metrics_port
    try:
        with (
            serving_metrics(port, settings.metrics_host, store, inbound.stats),
            process_output(say, consumer_log),
        ):
            asyncio.run(main())
    except KafkaUnavailableError as error:
        fail_work(str(error).splitlines()[0])
    console.print("consumer stopped", highlight=False)
