"""Fifty sessions at once on the production configuration.

deploy/dagster.yaml as shipped (dagster-postgres on scratch databases of the machine's
PostgreSQL, S3 compute logs on a local moto server, the run queue, run monitoring and run
retries), the genesis store on PostgreSQL, bibles exported to S3, a local broker and the real
`dagster-daemon`. All sessions are requested on `genesis.commands` in one batch; the benchmark
waits until every one is completed and its events are published, then prints:

  wall time          first request → last session completed
  sessions/minute    sessions / wall time
  run-worker RSS     peak resident memory (VmHWM) of each run-worker process, sampled from /proc
  per-session limit  runs of one session that overlapped in time (from the run records)
  events             outbox events never published (lost) / published more than once (dup)

    python benchmarks/load.py [--sessions 50] [--latency 0.5] [--keep-log]

Goals (on this 2-core machine): all sessions complete, 0 lost or duplicated events,
run-worker peak RSS ≤ 300 MB; and no session runs overlapping, no stage built twice.
Exit status 0 when they are met, 1 otherwise.
`--latency` is the offline generator's simulated model time per stage (GENESIS_OFFLINE_LATENCY_S).
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from genesis_pipeline.domain.stages import STAGE_ORDER
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL
from genesis_pipeline_tests.support.production_stack import (
    PeakRss,
    ProductionStack,
    is_run_worker_of,
    overlapping_runs,
    production_stack,
)
from genesis_pipeline_tests.support.s3_server import moto_s3_server
from genesis_pipeline_tests.support.waiting import wait_for

PREMISE = "A salt-road caravan carries a sealed letter that changes its words at every oasis"
GOAL_RSS_MB = 300


def event_counts(stack: ProductionStack, sessions: list[str]) -> tuple[int, int, int]:
    """(outbox events, lost, duplicated) over the sessions."""
    published = Counter(e.event_id for e in stack.published())
    with stack.store.read() as r:
        outbox = [e.event_id for sid in sessions for e in r.outbox.for_session(sid)]
    lost = sum(1 for event_id in outbox if published[event_id] == 0)
    duplicated = sum(published[event_id] - 1 for event_id in outbox if published[event_id] > 1)
    return len(outbox), lost, duplicated


def extra_versions(stack: ProductionStack, sessions: list[str]) -> int:
    with stack.store.read() as r:
        return sum(r.artifacts.count(sid, s) - 1 for sid in sessions for s in STAGE_ORDER)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per model call")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--keep-log", action="store_true", help="print the daemon log's tail")
    args = parser.parse_args()
    sessions = [f"load-{n:03d}" for n in range(args.sessions)]

    with (
        tempfile.TemporaryDirectory() as workdir,
        moto_s3_server() as s3_endpoint,
        LocalBroker() as broker,
        production_stack(
            Path(workdir),
            postgres_admin_url=POSTGRES_ADMIN_URL,
            kafka_bootstrap=broker.bootstrap,
            s3_endpoint=s3_endpoint,
            env={"GENESIS_OFFLINE_LATENCY_S": str(args.latency)},
        ) as stack,
    ):
        stack.start_daemon()
        # Warm-up: the daemon's code server loads the code before the clock starts.
        stack.request_sessions(["load-warmup"], PREMISE)
        wait_for("the warm-up session", lambda: stack.completed_sessions(["load-warmup"]), 180)

        with PeakRss(is_run_worker_of(stack.home)) as rss:
            started = time.monotonic()
            stack.request_sessions(sessions, PREMISE)
            try:
                wait_for(
                    f"{len(sessions)} sessions",
                    lambda: stack.completed_sessions(sessions) == set(sessions),
                    args.timeout,
                )
            except AssertionError as error:
                print(f"FAIL: {error}; {len(stack.completed_sessions(sessions))} completed")
                print(stack.daemon_log())
                return 1
            wall_s = time.monotonic() - started

        stack.wait_until_published()
        total, lost, duplicated = event_counts(stack, sessions)
        records = [r for r in stack.runs() if r.dagster_run.tags["dagster/partition"] in sessions]
        clashes = overlapping_runs(records)
        peaks_mb = sorted(kb / 1024 for kb in rss.peaks_kb.values())
        extra = extra_versions(stack, sessions)
        creators = Counter(
            r.dagster_run.tags.get("dagster/sensor_name")
            or ("run retry" if r.dagster_run.parent_run_id else "other")
            for r in records
        )
        if args.keep_log:
            print(stack.daemon_log())

    print(f"sessions            {len(sessions)} completed, model latency {args.latency:g} s/stage")
    by = ", ".join(f"{n} {creator}" for creator, n in creators.most_common())
    print(f"runs                {len(records)}: {by}; per-session overlaps: {len(clashes)}")
    print(f"wall time           {wall_s:.1f} s")
    print(f"sessions/minute     {len(sessions) / wall_s * 60:.1f}")
    if peaks_mb:
        print(
            f"run-worker RSS      peak {peaks_mb[-1]:.0f} MB, median "
            f"{statistics.median(peaks_mb):.0f} MB over {len(peaks_mb)} workers"
        )
    print(f"events              {total} in the outbox: {lost} lost, {duplicated} duplicated")
    print(f"artifact versions   {extra} beyond one per stage")
    met = bool(peaks_mb) and peaks_mb[-1] <= GOAL_RSS_MB and not (lost or duplicated or clashes)
    met = met and not extra
    print(
        f"goals               all complete, 0 lost/dup events, RSS ≤ {GOAL_RSS_MB} MB: "
        + ("MET" if met else "NOT MET")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
