"""`genesis events tail`: follow genesis.events, readable or as JSON lines."""

import asyncio
import json
import sys

import click

from genesis_pipeline.cli.common import console, errors, fail_usage, fail_work
from genesis_pipeline.cli.publishing import kafka_config, valid_session_id


@click.group()
def events() -> None:
    """The pipeline's outbound events (genesis.events)."""


@events.command()
@click.option("--session", "session_id", default=None, help="Only this session's events.")
@click.option("--from-beginning", is_flag=True, help="Start at the oldest event, not at new ones.")
@click.option("--json", "as_json", is_flag=True, help="Print each event as one line of JSON.")
@click.option(
    "--max-events",
    type=int,
    default=None,
    metavar="N",
    help="Stop after N (matching) events, exit 0.",
)
@click.option(
    "--timeout",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Stop after this long, exit 0 (scripts and tests; default: until Ctrl-C).",
)
def tail(
    session_id: str | None,
    from_beginning: bool,
    as_json: bool,
    max_events: int | None,
    timeout: float | None,
) -> None:
    """Follow genesis.events: one line per event (time, session, type, key fields)."""
    from contextlib import aclosing

    from genesis_pipeline.cli.event_lines import parse_envelope, tail_line
    from genesis_pipeline.messaging.follow import follow
    from genesis_pipeline.messaging.kafka import KafkaUnavailableError
    from genesis_pipeline.messaging.topics import Topic

    if session_id is not None:
        valid_session_id(session_id)
    if max_events is not None and max_events < 1:
        fail_usage(f"--max-events must be at least 1, got {max_events}")
    if timeout is not None and timeout <= 0:
        fail_usage(f"--timeout must be more than 0 seconds, got {timeout:g}")
    config = kafka_config()
    topic = config.topic(Topic.EVENTS)

    def show(raw: bytes | None) -> bool:
        """Print the event if it is one we want; True when it was printed."""
        envelope = parse_envelope(raw)
        if envelope is None:
            if session_id is None:  # not ours to judge, but never silently dropped
                errors.print(f"(not an event envelope: {(raw or b'')[:120]!r})", highlight=False)
            return False
        if session_id is not None and envelope.session_id != session_id:
            return False
        if as_json:
            assert raw is not None  # parsed above
            click.echo(json.dumps(json.loads(raw), ensure_ascii=False))  # always one line
        else:
            console.print(tail_line(envelope), highlight=False, soft_wrap=True)
        return True

    async def run() -> None:
        shown = 0
        async with (
            asyncio.timeout(timeout),
            aclosing(follow(config, [topic], from_beginning=from_beginning)) as records,
        ):
            async for record in records:
                if session_id is not None and record.key != session_id.encode():
                    continue
                shown += show(record.value)
                if max_events is not None and shown >= max_events:
                    return

    try:
        asyncio.run(run())
    except KafkaUnavailableError as error:
        fail_work(f"cannot follow {topic}: {error}")
    except (TimeoutError, KeyboardInterrupt):
        sys.exit(0)  # the end the user asked for
