"""How long a writer waits on the pipeline: Kafka event → the next `genesis.stage.started`.

For each entry point (`--entry sensors`: the daemon's Kafka sensors; `--entry consumer`:
`genesis consume` submitting through the webserver) it starts a local broker, a temporary
DAGSTER_HOME with the repo's dagster_home/dagster.yaml, the real `dagster-daemon` (and for the
consumer the webserver and `genesis consume`), runs one warm-up session, then measures, from
the events' own `occurred_at` timestamps (both written on this machine):
  request - `genesis.session.requested` (review mode human) → the session's first
            `genesis.stage.started` (concept);
  accept  - once concept waits for the writer, `genesis.feedback.submitted` accept → the next
            `genesis.stage.started` (story).
Events are produced one at a time, 1-2 s apart, as writers would. For each it also reports
where the time went, from Dagster's own records: event → run created (entry point), created →
dequeued (`RUN_STARTING`, the run queue), dequeued → worker up (`RUN_START`, the run worker's
process start and imports), worker up → stage.started (the run's first step).

Then the import costs: `import dagster` vs `import genesis_pipeline.definitions` (median wall
time of 5 fresh interpreters), and with `--queue-cpu` the daemon's idle CPU use with the run
queue polled every 1 s vs Dagster's default 5 s.

    python benchmarks/kafka_latency.py [--entry both|sensors|consumer] [--events 20]
                                       [--queue-cpu] [--keep]

Goals (issue: embedded default, 2 cores): p95 ≤ 3 s and p50 ≤ 2 s for both kinds;
`import genesis_pipeline.definitions` ≤ 1.3 × `import dagster`. Exit 0 when every measured
entry point meets its latency goals, 1 otherwise.
"""

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

import dagster as dg
import sqlalchemy as sa
import yaml

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.local_process import free_port
from genesis_pipeline.messaging.codec import encode
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service.planner import SESSION_TAG
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import outbox

REPO = Path(__file__).resolve().parent.parent
PREMISE = "A lighthouse keeper on a drowned coast must decode the signals of a ghost fleet"
GOAL_P50_S, GOAL_P95_S = 2.0, 3.0
IMPORT_GOAL = 1.3
T = TypeVar("T")


class BenchmarkError(RuntimeError):
    pass


def wait(what: str, probe: Callable[[], T | None], timeout_s: float, poll_s: float = 0.05) -> T:
    deadline = time.monotonic() + timeout_s
    while (found := probe()) is None or found is False:
        if time.monotonic() > deadline:
            raise BenchmarkError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(poll_s)
    return found


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    home: Path
    env: dict[str, str]
    kafka: KafkaConfig
    store: GenesisStore
    instance: dg.DagsterInstance
    processes: dict[str, subprocess.Popen[bytes]]


def write_instance_yaml(
    home: Path, dequeue_interval_s: int | None = None, launcher: str | None = None
) -> None:
    config = yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text())
    if dequeue_interval_s is not None:
        config["run_coordinator"]["config"]["dequeue_interval_seconds"] = dequeue_interval_s
    if launcher == "default":
        config.pop("run_launcher", None)
    elif launcher == "warm":
        config["run_launcher"] = {
            "module": "genesis_pipeline.defs.run_launcher",
            "class": "WarmRunLauncher",
        }
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))


def spawn(stack: ExitStack, home: Path, name: str, command: list[str], env: dict[str, str]):  # type: ignore[no-untyped-def]
    log = stack.enter_context(open(home / f"{name}.log", "wb"))  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    stack.callback(stop)
    return process


@contextmanager
def running_stack(
    entry: str, home: Path, dequeue_interval_s: int | None = None, launcher: str | None = None
) -> Iterator[Stack]:
    write_instance_yaml(home, dequeue_interval_s, launcher)
    with ExitStack() as stack:
        broker = stack.enter_context(LocalBroker(log=home / "broker.log"))
        kafka = KafkaConfig(bootstrap=broker.bootstrap, topic_prefix="bench.", idempotence=False)
        asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
        database_url = f"sqlite:///{home / 'genesis.db'}"
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "GENESIS_DATABASE_URL": database_url,
            "GENESIS_KAFKA_BOOTSTRAP": broker.bootstrap,
            "GENESIS_TOPIC_PREFIX": kafka.topic_prefix,
            "GENESIS_KAFKA_IDEMPOTENCE": "false",
            "GENESIS_KAFKA_ENTRY": entry,
        }
        os.environ["DAGSTER_HOME"] = str(home)
        # The instance's storage exists before any process opens it: two processes creating a
        # fresh SQLite storage at once can both stamp its schema version.
        instance = stack.enter_context(dg.DagsterInstance.get())
        store = GenesisStore(database_url)
        python = sys.executable
        processes = {
            "daemon": spawn(
                stack,
                home,
                "daemon",
                [python, "-m", "dagster._daemon", "run", "-w", "workspace.yaml"],
                env,
            )
        }
        if entry == "consumer":
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            processes["webserver"] = spawn(
                stack,
                home,
                "webserver",
                [python, "-m", "dagster_webserver", "-w", "workspace.yaml", "-p", str(port)],
                env,
            )
            wait("the webserver", lambda: answers(f"{url}/server_info"), 120, poll_s=0.5)
            processes["consumer"] = spawn(
                stack,
                home,
                "consumer",
                [python, "-m", "genesis_pipeline.cli", "consume", "--dagster-url", url],
                env,
            )
        yield Stack(home, env, kafka, store, instance, processes)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


# --- events in and out -------------------------------------------------------------------------


def produce(
    kafka: KafkaConfig, topic: Topic, event_type: EventType, sid: str, **payload: object
) -> datetime:
    """One event, sent on its own; its `occurred_at`."""
    event = new_event(event_type, session_id=sid, correlation_id=str(uuid.uuid4()), payload=payload)
    message = OutMessage(kafka.topic(topic), sid.encode(), encode(event))
    asyncio.run(kafka.publish([message]))
    return event.occurred_at


def stage_started(store: GenesisStore, sid: str, stage: str) -> datetime | None:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(outbox.c.envelope).where(
                outbox.c.session_id == sid,
                outbox.c.event_type == EventType.STAGE_STARTED.value,
            )
        ).scalars()
        for envelope in rows:
            envelope = envelope if isinstance(envelope, dict) else json.loads(envelope)
            if envelope["payload"]["stage"] == stage:
                return datetime.fromisoformat(envelope["occurred_at"])
    return None


def waits_for_writer(stack: Stack, sid: str) -> bool:
    """Concept has a passed version waiting for the writer, and no run of the session is on."""
    busy = stack.instance.get_run_ids(
        dg.RunsFilter(tags={SESSION_TAG: sid}, statuses=list(IN_PROGRESS)), limit=1
    )
    if busy:
        return False
    with stack.store.read() as r:
        return r.artifacts.current_passed(sid, Stage.CONCEPT) is not None


IN_PROGRESS = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
)


@dataclass(frozen=True)
class Sample:
    total_s: float
    segments: dict[str, float]  # where the time went


def segments(stack: Stack, sid: str, sent: datetime, started: datetime) -> dict[str, float]:
    """event → run created → dequeued → worker up → stage.started, for the newest run."""
    records = stack.instance.get_run_records(dg.RunsFilter(tags={SESSION_TAG: sid}), limit=1)
    if not records:
        return {}
    record = records[0]
    marks = {"run created": record.create_timestamp.timestamp()}
    for name, kind in (
        ("dequeued", dg.DagsterEventType.RUN_STARTING),
        ("worker up", dg.DagsterEventType.RUN_START),
    ):
        entries = stack.instance.all_logs(record.dagster_run.run_id, of_type=kind)
        if entries:
            marks[name] = entries[0].timestamp
    points = [("event", sent.timestamp()), *marks.items(), ("stage.started", started.timestamp())]
    return {f"{a}→{b}": tb - ta for (a, ta), (b, tb) in itertools.pairwise(points)}


def measure(stack: Stack, kind: str, sids: Sequence[str], rng: random.Random) -> list[Sample]:
    samples = []
    for sid in sids:
        if kind == "request":
            sent = produce(stack.kafka, Topic.COMMANDS, EventType.SESSION_REQUESTED, sid,
                           premise=PREMISE, review_mode="human")  # fmt: skip
            stage = "concept"
        else:
            sent = produce(stack.kafka, Topic.FEEDBACK, EventType.FEEDBACK_SUBMITTED, sid,
                           stage="concept", action="accept")  # fmt: skip
            stage = "story"
        started = wait(
            f"{sid}: {stage} started", partial(stage_started, stack.store, sid, stage), 120
        )
        total = (started - sent).total_seconds()
        samples.append(Sample(total, segments(stack, sid, sent, started)))
        print(f"  {kind} {sid}: {total:.2f} s", flush=True)
        time.sleep(rng.uniform(1.0, 2.0))
    return samples


# --- reporting ---------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(entry: str, kind: str, samples: Sequence[Sample]) -> bool:
    totals = [s.total_s for s in samples]
    p50, p95 = statistics.median(totals), percentile(totals, 0.95)
    met = p50 <= GOAL_P50_S and p95 <= GOAL_P95_S
    print(
        f"{entry:8} {kind:7} n={len(totals)}  p50 {p50:.2f} s  p95 {p95:.2f} s  max "
        f"{max(totals):.2f} s  goal p50 ≤ {GOAL_P50_S:g}, p95 ≤ {GOAL_P95_S:g}: "
        f"{'met' if met else 'NOT met'}"
    )
    names = list(dict.fromkeys(name for s in samples for name in s.segments))
    parts = [
        f"{n} {statistics.median([s.segments[n] for s in samples if n in s.segments]):.2f}"
        for n in names
    ]
    print(f"         where (p50, s): {', '.join(parts)}")
    return met


def import_costs() -> None:
    def median_wall(code: str) -> float:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    bare = median_wall("import dagster")
    ours = median_wall("import genesis_pipeline.definitions")
    ratio = ours / bare
    verdict = "met" if ratio <= IMPORT_GOAL else "NOT met"
    print(
        f"imports  `import dagster` {bare:.2f} s, `import genesis_pipeline.definitions` "
        f"{ours:.2f} s: {ratio:.2f}× (goal ≤ {IMPORT_GOAL:g}×: {verdict})"
    )


def queue_cpu(seconds: float = 60.0) -> None:
    """The idle daemon's CPU use (daemon and code server) with each dequeue interval."""
    for interval in (5, 1):
        with (
            tempfile.TemporaryDirectory(prefix="genesis-queue-cpu-") as tmp,
            running_stack("sensors", Path(tmp), dequeue_interval_s=interval) as stack,
        ):
            time.sleep(20)  # loaded and ticking
            before = group_cpu_s(stack.processes["daemon"].pid)
            time.sleep(seconds)
            used = group_cpu_s(stack.processes["daemon"].pid) - before
        share = 100 * used / seconds
        print(f"queue    dequeue every {interval} s: idle daemon {share:.1f} % of a core")


def group_cpu_s(pgid: int) -> float:
    total = 0.0
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        try:
            if os.getpgid(pid) != pgid:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, ProcessLookupError):
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


# --- the benchmark -----------------------------------------------------------------------------


def bench_entry(entry: str, args: argparse.Namespace) -> bool:
    home = Path(tempfile.mkdtemp(prefix=f"genesis-latency-{entry}-"))
    rng = random.Random(args.seed)
    tag = uuid.uuid4().hex[:6]
    try:
        with running_stack(entry, home, launcher=args.run_launcher) as stack:
            print(f"{entry}: DAGSTER_HOME {home}, broker {stack.kafka.bootstrap}", flush=True)
            t0 = time.monotonic()
            warm = f"lat-{tag}-warm"
            produce(stack.kafka, Topic.COMMANDS, EventType.SESSION_REQUESTED, warm, premise=PREMISE)
            wait(
                "the warm-up session's story_bible",
                lambda: stage_started(stack.store, warm, "story_bible"),
                300,
                0.5,
            )
            print(f"  warm-up session reached its last stage after {time.monotonic() - t0:.1f} s")
            sids = [f"lat-{tag}-{i:03d}" for i in range(args.events)]
            requests = measure(stack, "request", sids, rng)
            for sid in sids:
                wait(f"{sid} to wait for the writer", partial(waits_for_writer, stack, sid), 120)
            accepts = measure(stack, "accept", sids, rng)
        met = [report(entry, "request", requests), report(entry, "accept", accepts)]
        return all(met)
    finally:
        if args.keep:
            print(f"kept {home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entry", choices=["both", "sensors", "consumer"], default="both")
    parser.add_argument("--events", type=int, default=20, help="events per kind (default 20)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the gaps between events")
    parser.add_argument("--queue-cpu", action="store_true", help="also the run queue's CPU cost")
    parser.add_argument(
        "--run-launcher",
        choices=["default", "warm"],
        help="override dagster.yaml's run launcher: Dagster's default, or WarmRunLauncher",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary DAGSTER_HOMEs")
    args = parser.parse_args()
    entries = ["sensors", "consumer"] if args.entry == "both" else [args.entry]
    # SIGTERM unwinds like Ctrl-C, so the processes started for the benchmark are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    try:
        results = [bench_entry(entry, args) for entry in entries]
    except BenchmarkError as error:
        sys.exit(f"benchmark failed: {error}")
    import_costs()
    if args.queue_cpu:
        queue_cpu()
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
