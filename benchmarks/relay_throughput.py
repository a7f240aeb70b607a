"""Outbox relay throughput: events/s and publish latency on SQLite and on PostgreSQL.

Fills an outbox with realistic envelopes (the payloads a session's stages write), starts a
local broker and drains the outbox with the relay, one transaction per batch. Prints, per
backend, events/s over the whole drain (producer start included) and the p50/p95 of a
batch's publish latency: from claiming its rows to the broker's last acknowledgement.
The issue's goal: ≥ 5,000 events/s on both.

    python benchmarks/relay_throughput.py [--events 10000] [--sessions 200] [--batch-size N]

PostgreSQL: a temporary database on GENESIS_TEST_POSTGRES_URL's server (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres); skipped with a message when it is down.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import sqlalchemy as sa

from genesis_pipeline.domain.events import Envelope, EventType, new_event
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline.messaging.relay import DEFAULT_BATCH_SIZE, BatchPublished, OutboxRelay
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL, scratch_database

STAGES = ("concept", "story", "worldview", "characters", "plot_outline", "story_bible")


def session_events(session_id: str, count: int) -> list[Envelope]:
    """The kind of events a session's stage runs write, about 300-700 bytes each."""
    correlation = str(uuid.uuid4())
    kinds = [
        (EventType.STAGE_STARTED, lambda s, n: {"stage": s, "attempt": 1, "run_id": f"run-{n}"}),
        (
            EventType.AGENT_TASK_COMPLETED,
            lambda s, n: {
                "stage": s,
                "model": "offline-v1",
                "prompt_version": f"{s}-v3",
                "tokens_in": 1800 + n,
                "tokens_out": 950,
                "latency_ms": 412.5,
            },
        ),
        (
            EventType.CONTENT_GENERATED,
            lambda s, n: {
                "stage": s,
                "version": n // 6 + 1,
                "attempt": 1,
                "summary": "The Salt Map: a keeper on Gull Rock finds a map drawn in salt "
                "that redraws the drowned coast every tide",
            },
        ),
        (
            EventType.QUALITY_CHECK_COMPLETED,
            lambda s, n: {
                "stage": s,
                "version": n // 6 + 1,
                "score": 0.86,
                "threshold": 0.75,
                "passed": True,
                "findings": [{"field": "hook", "problem": "a cliché: 'dark secret'"}],
            },
        ),
    ]
    events = []
    for n in range(count):
        event_type, payload = kinds[n % len(kinds)]
        stage = STAGES[(n // len(kinds)) % len(STAGES)]
        events.append(
            new_event(
                event_type,
                session_id=session_id,
                correlation_id=correlation,
                payload=payload(stage, n),
            )
        )
    return events


def fill(store: GenesisStore, events: int, sessions: int) -> None:
    per_session = [events // sessions + (i < events % sessions) for i in range(sessions)]
    streams = [session_events(f"bench-{i:04d}", n) for i, n in enumerate(per_session)]
    with store.unit_of_work() as uow:
        # Interleaved as concurrent sessions write them.
        for round_ in range(max(per_session)):
            for stream in streams:
                if round_ < len(stream):
                    event = stream[round_]
                    uow.outbox.add(event, fact_key=f"bench:{event.event_id}")
        uow.commit()


def measure(name: str, store: GenesisStore, kafka: KafkaConfig, args: argparse.Namespace) -> None:
    fill(store, args.events, args.sessions)
    batches: list[BatchPublished] = []

    async def drain() -> int:
        relay = OutboxRelay(store, kafka, batch_size=args.batch_size, on_batch=batches.append)
        async with relay:
            return await relay.drain()

    started = time.perf_counter()
    published = asyncio.run(drain())
    elapsed = time.perf_counter() - started
    with store.read() as r:
        left = r.outbox.unsent_count()
    latencies = sorted(b.publish_s * 1000 for b in batches)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"{name:10s} {published} events in {elapsed:.2f}s = {published / elapsed:8.0f} events/s; "
        f"{len(batches)} batches of ≤{args.batch_size}, publish latency "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms; {left} left unsent"
    )


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    with ExitStack() as stack:
        try:
            url = stack.enter_context(scratch_database(admin_url, prefix="genesis_bench"))
        except sa.exc.OperationalError as error:
            print(f"postgresql skipped: {admin_url} is not reachable: {error}".splitlines()[0])
            url = None
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--postgres-admin-url", default=POSTGRES_ADMIN_URL)
    args = parser.parse_args()

    with LocalBroker() as broker, tempfile.TemporaryDirectory() as home:

        def kafka(prefix: str) -> KafkaConfig:
            config = KafkaConfig(bootstrap=broker.bootstrap, topic_prefix=prefix, idempotence=False)
            asyncio.run(config.create_topics([config.topic(Topic.EVENTS)]))
            return config

        sqlite_store = GenesisStore(f"sqlite:///{Path(home) / 'genesis.db'}")
        measure("sqlite", sqlite_store, kafka("sqlite."), args)
        with postgres_database(args.postgres_admin_url) as url:
            if url is not None:
                measure("postgresql", GenesisStore(url), kafka("postgresql."), args)


if __name__ == "__main__":
    main()
