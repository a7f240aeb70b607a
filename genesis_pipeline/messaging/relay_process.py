"""The relay as a process of its own (`genesis relay`): runs until SIGINT or SIGTERM; and the
output of such processes (the relay, `genesis consume`)."""

import asyncio
import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.relay import DEFAULT_BATCH_SIZE, OutboxRelay
from genesis_pipeline.messaging.relay import log as relay_log
from genesis_pipeline.store.genesis_store import GenesisStore

Say = Callable[[str], None]


class _SayHandler(logging.Handler):
    def __init__(self, say: Say) -> None:
        super().__init__(logging.INFO)
        self._say = say

    def emit(self, record: logging.LogRecord) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        self._say(f"{stamp} {record.getMessage()}")


@contextmanager
def process_output(say: Say, logger: logging.Logger = relay_log) -> Iterator[None]:
    """A long-running process's progress and broker-state lines (`logger`'s) go to `say`;
    aiokafka's own connection errors (a line per retry and node) are left out, the process's
    one-line warning says it."""
    aiokafka_logger = logging.getLogger("aiokafka")
    handler = _SayHandler(say)
    levels = logger.level, aiokafka_logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    aiokafka_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(levels[0])
        aiokafka_logger.setLevel(levels[1])


def relay_until_stopped(
    store: GenesisStore,
    config: KafkaConfig,
    *,
    say: Say,
    batch_size: int = DEFAULT_BATCH_SIZE,
    poll_interval_s: float = 0.5,
) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        # Ctrl-C sets `stop` between batches instead of raising inside one: the batch in
        # flight finishes (or rolls back) and the producer is closed.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with OutboxRelay(store, config, batch_size=batch_size) as relay:
            await relay.run(stop, poll_interval_s=poll_interval_s)

    with process_output(say):
        asyncio.run(main())


def drain_once(
    store: GenesisStore, config: KafkaConfig, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> int:
    """Publish everything pending now; raises `KafkaUnavailableError` when the broker is down."""

    async def drain() -> int:
        async with OutboxRelay(store, config, batch_size=batch_size) as relay:
            await relay.connect()  # an unreachable broker fails `--once` even with nothing to do
            return await relay.drain()

    with process_output(lambda _line: None):
        return asyncio.run(drain())
