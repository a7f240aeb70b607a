"""Event → run created: from a Kafka message to its Dagster run, through the real daemon.

Starts a local broker, a temporary DAGSTER_HOME (with the repo's dagster_home/dagster.yaml)
and the real `dagster-daemon run -w workspace.yaml`, warms it up with one session, then:
  session  - produces `genesis.session.requested` events 0.5-1.0 s apart (so they fall at
             different points of the sensors' interval) and measures, per event, the time
             from producing it to the creation of its session run (the run record's
             create_timestamp, as the daemon stored it);
  feedback - once those sessions have completed, produces one `genesis.feedback.submitted`
             (modify `story`) per completed session and measures the time to its revision run.
Prints p50/p95/max per kind, where the time goes (waiting for the sensor's tick to start vs.
the tick itself up to the run's creation), the sensor's tick cadence, and a verdict against
the issue's goal: event → run created p95 ≤ 2 s.

    python benchmarks/kafka_latency.py [--events 20] [--keep] [--with-relay]

Exit status 0 when the goal is met, 1 otherwise. `--with-relay` then runs
benchmarks/relay_throughput.py with its defaults, so one command prints both sets of figures.

Experiments (off by default; they change how the daemon runs, never the repo's files):
  --sensor-loop S   runs the daemon with dagster's sensor-loop floor (MIN_INTERVAL_LOOP_TIME,
                    5 s, a private constant of dagster._daemon.sensor) patched to S seconds
  --sensor-threads N  adds `sensors: {use_threads: true, num_workers: N, num_submit_workers: N}`
                    to the temporary dagster.yaml (ticks of different sensors, and the runs of
                    one tick, are then handled in parallel)
  --max-concurrent-runs N  overrides `concurrency: runs: max_concurrent_runs` (4) in the
                    temporary dagster.yaml: fewer runs executing = less CPU contention
"""

import argparse
import asyncio
import itertools
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import FrameType
from typing import IO, TypeVar

import dagster as dg
import yaml
from dagster._core.scheduler.instigation import InstigatorTick, InstigatorType

from genesis_pipeline.domain.events import EventType, new_event
from genesis_pipeline.messaging.codec import encode
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service.planner import REVISION_KEY_TAG, SESSION_TAG

REPO = Path(__file__).resolve().parent.parent
GOAL_P95_S = 2.0
TICK_TAG = "dagster/tick"  # the id of the sensor tick that created the run
TOPIC_PREFIX = "bench."
PREMISE = "A lighthouse keeper on a drowned coast must decode the signals of a ghost fleet"
FEEDBACK = {"stage": "story", "action": "modify", "instructions": "Make the tone darker"}
COMMANDS_SENSOR = "genesis_commands_sensor"
FEEDBACK_SENSOR = "genesis_feedback_sensor"
RUN_SENSORS = (COMMANDS_SENSOR, FEEDBACK_SENSOR, "genesis_revision_sensor")
TERMINAL = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
POLL_S = 0.25
T = TypeVar("T")


class BenchmarkError(RuntimeError):
    pass


@dataclass(frozen=True)
class Produced:
    session_id: str
    correlation_id: str
    at: float  # wall clock (time.time()) just before the send


@dataclass(frozen=True)
class Latency:
    session_id: str
    run_id: str
    produced_at: float
    created_at: float  # the run record's create_timestamp
    tick_id: int | None  # the sensor tick that created the run (its `dagster/tick` tag)
    tick_start: float | None

    @property
    def total_s(self) -> float:  # produce → run created
        return self.created_at - self.produced_at

    @property
    def to_tick_s(self) -> float | None:  # produce → start of the tick that created the run
        return None if self.tick_start is None else self.tick_start - self.produced_at

    @property
    def in_tick_s(self) -> float | None:  # that tick's start → run created
        return None if self.tick_start is None else self.created_at - self.tick_start


@dataclass(frozen=True)
class Phase:
    name: str
    latencies: list[Latency]
    ticks: list[InstigatorTick]  # of the sensor that consumes the topic, during the phase


# --- the stack: DAGSTER_HOME, broker, daemon ----------------------------------------------------


def daemon_command(sensor_loop_s: float | None) -> list[str]:
    if sensor_loop_s is None:
        found = shutil.which("dagster-daemon", path=str(Path(sys.executable).parent))
        binary = found or shutil.which("dagster-daemon")
        if binary is None:
            raise BenchmarkError("dagster-daemon is not installed (pip install -e '.[dev]')")
        return [binary, "run", "-w", "workspace.yaml"]
    # Experiment only: the sensor daemon starts an iteration over all sensors no sooner than
    # MIN_INTERVAL_LOOP_TIME after the previous one began, whatever the sensors' intervals.
    shim = (
        "import sys, dagster._daemon.sensor as s; "
        f"s.MIN_INTERVAL_LOOP_TIME = {sensor_loop_s!r}; "
        "from dagster._daemon.cli import main; sys.argv[0] = 'dagster-daemon'; sys.exit(main())"
    )
    return [sys.executable, "-c", shim, "run", "-w", "workspace.yaml"]


def write_instance_yaml(
    home: Path, *, sensor_threads: int | None, max_concurrent_runs: int | None
) -> None:
    config = yaml.safe_load((REPO / "dagster_home" / "dagster.yaml").read_text()) or {}
    if max_concurrent_runs is not None:
        runs = config.setdefault("concurrency", {}).setdefault("runs", {})
        runs["max_concurrent_runs"] = max_concurrent_runs
    if sensor_threads:
        config["sensors"] = {
            "use_threads": True,
            "num_workers": sensor_threads,
            "num_submit_workers": sensor_threads,
        }
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


@contextmanager
def running_daemon(
    home: Path, bootstrap: str, command: list[str]
) -> Iterator[subprocess.Popen[bytes]]:
    """The daemon in its own process group (it starts a code server, which starts the run
    workers); the whole group is stopped on the way out, also after Ctrl-C."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "GENESIS_KAFKA_BOOTSTRAP": bootstrap,
        "GENESIS_TOPIC_PREFIX": TOPIC_PREFIX,
        "GENESIS_KAFKA_IDEMPOTENCE": "false",
        "GENESIS_LLM_PROVIDER": "offline",
    }
    for inherited in ("GENESIS_DATABASE_URL", "GENESIS_EXPORT_URI"):
        env.pop(inherited, None)  # the store and the exports go under the temporary home
    log: IO[bytes] = open(home / "daemon.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield process
    finally:
        stop_group(process)
        log.close()


def stop_group(process: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    """SIGTERM to the daemon's process group, then SIGKILL to whatever of it is left."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


# --- producing ----------------------------------------------------------------------------------

Build = Callable[[str, str, KafkaConfig], OutMessage]


def session_requested(session_id: str, correlation_id: str, kafka: KafkaConfig) -> OutMessage:
    event = new_event(
        EventType.SESSION_REQUESTED,
        session_id=session_id,
        correlation_id=correlation_id,
        payload={"premise": PREMISE},
    )
    return OutMessage(kafka.topic(Topic.COMMANDS), session_id.encode(), encode(event))


def feedback_submitted(session_id: str, correlation_id: str, kafka: KafkaConfig) -> OutMessage:
    event = new_event(
        EventType.FEEDBACK_SUBMITTED,
        session_id=session_id,
        correlation_id=correlation_id,
        payload=dict(FEEDBACK),
    )
    return OutMessage(kafka.topic(Topic.FEEDBACK), session_id.encode(), encode(event))


async def produce_spaced(
    kafka: KafkaConfig,
    targets: Sequence[tuple[str, str]],
    build: Build,
    rng: random.Random,
    gap_s: tuple[float, float],
) -> list[Produced]:
    """One message per (session id, correlation id), each acknowledged before the next."""
    producer = await kafka.start_producer()
    produced = []
    try:
        for i, (session_id, correlation_id) in enumerate(targets):
            if i:
                await asyncio.sleep(rng.uniform(*gap_s))
            message = build(session_id, correlation_id, kafka)
            at = time.time()
            await kafka.send_batch(producer, [message])
            produced.append(Produced(session_id, correlation_id, at))
    finally:
        await producer.stop()
    return produced


def produce(
    kafka: KafkaConfig,
    targets: Sequence[tuple[str, str]],
    build: Build,
    rng: random.Random,
    gap_s: tuple[float, float] = (0.5, 1.0),
) -> list[Produced]:
    return asyncio.run(produce_spaced(kafka, targets, build, rng, gap_s))


# --- watching the instance ----------------------------------------------------------------------


class Watcher:
    def __init__(self, instance: dg.DagsterInstance, daemon: subprocess.Popen[bytes]) -> None:
        self.instance = instance
        self.daemon = daemon

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout_s: float) -> T:
        deadline = time.monotonic() + timeout_s
        while True:
            value = probe()
            if value is not None:
                return value
            if self.daemon.poll() is not None:
                raise BenchmarkError(f"the daemon exited ({self.daemon.returncode}) {what}")
            if time.monotonic() > deadline:
                raise BenchmarkError(f"timed out after {timeout_s:g} s {what}")
            time.sleep(POLL_S)

    def ticks(self, sensor: str, after: float | None = None) -> list[InstigatorTick]:
        for state in self.instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
            if state.name == sensor:
                ticks = self.instance.get_ticks(
                    state.instigator_origin_id, state.selector_id, after=after
                )
                return sorted(ticks, key=lambda tick: tick.timestamp)
        return []

    def first(self, sensor: str) -> InstigatorTick | None:
        ticks = self.ticks(sensor)
        return ticks[0] if ticks else None

    def runs(self, session_ids: Sequence[str]) -> dict[str, list[dg.RunRecord]]:
        records = self.instance.get_run_records(
            dg.RunsFilter(tags={SESSION_TAG: list(session_ids)})
        )
        by_session: dict[str, list[dg.RunRecord]] = {sid: [] for sid in session_ids}
        for record in records:
            by_session[record.dagster_run.tags[SESSION_TAG]].append(record)
        return by_session

    def created_runs(
        self,
        produced: Sequence[Produced],
        wanted: Callable[[dg.RunRecord], bool],
        timeout_s: float,
    ) -> dict[str, dg.RunRecord]:
        """The first wanted run of each produced event's session, waiting up to `timeout_s`
        for all of them; sessions without one are left out."""
        ids = [p.session_id for p in produced]
        found: dict[str, dg.RunRecord] = {}

        def all_found() -> bool | None:
            for sid, records in self.runs(ids).items():
                mine = sorted(filter(wanted, records), key=lambda r: r.create_timestamp)
                if mine and sid not in found:
                    found[sid] = mine[0]
            return True if len(found) == len(ids) else None

        with suppress(BenchmarkError):
            self.wait_for("waiting for the runs to be created", all_found, timeout_s)
        return found

    def finished(self, session_ids: Sequence[str], timeout_s: float) -> dict[str, dg.RunRecord]:
        """Waits until no run of these sessions is in flight; their last runs by session."""

        def settled() -> dict[str, dg.RunRecord] | None:
            runs = self.runs(session_ids)
            if any(r.dagster_run.status not in TERMINAL for rs in runs.values() for r in rs):
                return None
            return {
                sid: max(rs, key=lambda r: r.create_timestamp) for sid, rs in runs.items() if rs
            }

        try:
            return self.wait_for("waiting for the session runs to finish", settled, timeout_s)
        except BenchmarkError as error:
            print(f"  ! {error}; going on with the sessions that finished")
            runs = self.runs(session_ids)
            return {
                sid: max(rs, key=lambda r: r.create_timestamp)
                for sid, rs in runs.items()
                if rs and all(r.dagster_run.status in TERMINAL for r in rs)
            }


def measure(
    watcher: Watcher,
    name: str,
    produced: Sequence[Produced],
    wanted: Callable[[dg.RunRecord], bool],
    started: float,
    timeout_s: float,
) -> Phase:
    runs = watcher.created_runs(produced, wanted, timeout_s)
    ticks = {sensor: watcher.ticks(sensor, after=started - 1) for sensor in RUN_SENSORS}
    by_id = {tick.tick_id: tick for ts in ticks.values() for tick in ts}
    latencies = []
    for event in produced:
        record = runs.get(event.session_id)
        if record is None:
            continue
        tag = record.dagster_run.tags.get(TICK_TAG)
        tick = by_id.get(int(tag)) if tag else None
        latencies.append(
            Latency(
                session_id=event.session_id,
                run_id=record.dagster_run.run_id,
                produced_at=event.at,
                created_at=record.create_timestamp.timestamp(),
                tick_id=tick.tick_id if tick else None,
                tick_start=tick.timestamp if tick else None,
            )
        )
    consumer = COMMANDS_SENSOR if name == "session.requested" else FEEDBACK_SENSOR
    return Phase(name=name, latencies=latencies, ticks=ticks[consumer])


# --- figures ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q  # linear interpolation between closest ranks
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def p50_p95(values: Sequence[float]) -> str:
    if not values:
        return "    -  /    -  "
    return f"{percentile(values, 0.5):5.2f} / {percentile(values, 0.95):5.2f}"


def report(phases: Sequence[Phase], expected: int) -> bool:
    print()
    print(
        f"{'event → run created':22s} {'n':>5s} {'p50':>7s} {'p95':>7s} {'max':>7s}   "
        f"{'to tick p50/p95':>15s}   {'in tick p50/p95':>15s}"
    )
    passed = True
    for phase in phases:
        totals = [lat.total_s for lat in phase.latencies]
        if not totals:
            print(f"{phase.name:22s} {0:>2d}/{expected:<2d}  no run was created")
            passed = False
            continue
        p95 = percentile(totals, 0.95)
        passed = passed and p95 <= GOAL_P95_S and len(totals) == expected
        to_tick = [lat.to_tick_s for lat in phase.latencies if lat.to_tick_s is not None]
        in_tick = [lat.in_tick_s for lat in phase.latencies if lat.in_tick_s is not None]
        print(
            f"{phase.name:22s} {len(totals):>2d}/{expected:<2d} "
            f"{percentile(totals, 0.5):6.2f}s {p95:6.2f}s {max(totals):6.2f}s   "
            f"{p50_p95(to_tick):>15s}   {p50_p95(in_tick):>15s}"
        )
    print("  (to tick: produce → start of the sensor tick that created the run;")
    print("   in tick: tick start → run record created, i.e. evaluation + run creation)")
    for phase in phases:
        print(f"{phase.name}:")
        starts = [tick.timestamp for tick in phase.ticks]
        gaps = [b - a for a, b in itertools.pairwise(starts)]
        if gaps:
            print(
                f"  its consumer sensor ticked {len(starts)} times, a tick every "
                f"{statistics.median(gaps):.2f} s (min {min(gaps):.2f}, max {max(gaps):.2f})"
            )
        by_tick: dict[int, list[float]] = {}
        tick_starts: dict[int, float] = {}
        for lat in phase.latencies:
            if lat.tick_id is not None and lat.tick_start is not None:
                by_tick.setdefault(lat.tick_id, []).append(lat.created_at)
                tick_starts[lat.tick_id] = lat.tick_start
        if by_tick:
            first = [min(created) - tick_starts[tid] for tid, created in by_tick.items()]
            between = [
                b - a
                for created in by_tick.values()
                for a, b in itertools.pairwise(sorted(created))
            ]
            spacing = (
                f", then one every {p50_p95(between).strip()} s (p50 / p95)" if between else ""
            )
            print(
                f"  {len(by_tick)} tick(s) created {sum(map(len, by_tick.values()))} runs, up to "
                f"{max(map(len, by_tick.values()))} in one; tick start → first run created "
                f"{p50_p95(first).strip()} s{spacing}"
            )
    return passed


# --- the benchmark ------------------------------------------------------------------------------


def run(args: argparse.Namespace, home: Path) -> bool:
    rng = random.Random(args.seed)
    tag = uuid.uuid4().hex[:6]
    write_instance_yaml(
        home, sensor_threads=args.sensor_threads, max_concurrent_runs=args.max_concurrent_runs
    )
    os.environ["DAGSTER_HOME"] = str(home)
    with ExitStack() as stack:
        broker = stack.enter_context(LocalBroker(log=home / "broker.log"))
        kafka = KafkaConfig(
            bootstrap=broker.bootstrap, topic_prefix=TOPIC_PREFIX, idempotence=False
        )
        asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
        # Create the instance's SQLite storage before the daemon starts: two processes that
        # initialise a fresh storage at once can both stamp its alembic version, and then
        # every later open fails ("alembic_version has more than one head").
        instance = stack.enter_context(dg.DagsterInstance.get())
        command = daemon_command(args.sensor_loop)
        daemon = stack.enter_context(running_daemon(home, broker.bootstrap, command))
        watcher = Watcher(instance, daemon)
        loop = "dagster's default" if args.sensor_loop is None else f"{args.sensor_loop:g} s"
        threads = f", sensor threads {args.sensor_threads}" if args.sensor_threads else ""
        if args.max_concurrent_runs is not None:
            threads += f", max concurrent runs {args.max_concurrent_runs}"
        print(
            f"broker {broker.bootstrap}, DAGSTER_HOME {home}, daemon pid {daemon.pid} "
            f"(sensor loop: {loop}{threads})"
        )

        # Warm-up: the daemon loads the code location, both consumers tick, one session runs.
        t0 = time.monotonic()
        for sensor in (COMMANDS_SENSOR, FEEDBACK_SENSOR):
            watcher.wait_for(
                f"waiting for {sensor}'s first tick", partial(watcher.first, sensor), 180
            )
        warm = (f"lat-{tag}-warm", str(uuid.uuid4()))
        produce(kafka, [warm], session_requested, rng)
        warm_runs = watcher.created_runs([Produced(*warm, at=0)], lambda r: True, 60)
        if not warm_runs:
            raise BenchmarkError("the warm-up session got no run within 60 s (see daemon.log)")
        print(
            "warm-up: sensors ticking and a session run created after "
            f"{time.monotonic() - t0:.1f} s"
        )

        # Phase 1: session.requested → session run.
        sessions = [(f"lat-{tag}-{i:03d}", str(uuid.uuid4())) for i in range(args.events)]
        started = time.time()
        produced = produce(kafka, sessions, session_requested, rng)
        print(f"produced {len(produced)} session.requested in {time.time() - started:.1f} s")
        first = measure(watcher, "session.requested", produced, lambda r: True, started, 60)

        ids = [warm[0]] + [sid for sid, _ in sessions]
        last = watcher.finished(ids, args.timeout)
        done = [
            sid
            for sid, _ in sessions
            if last.get(sid) and last[sid].dagster_run.status == dg.DagsterRunStatus.SUCCESS
        ]
        print(
            f"session runs: {len(done)}/{len(sessions)} succeeded, all finished "
            f"{time.time() - produced[-1].at:.1f} s after the last was produced"
        )

        # Phase 2: feedback.submitted (modify) → revision run, on completed sessions.
        before = {r.dagster_run.run_id for rs in watcher.runs(ids).values() for r in rs}

        def is_revision(record: dg.RunRecord) -> bool:
            return (
                record.dagster_run.run_id not in before
                and REVISION_KEY_TAG in record.dagster_run.tags
            )

        if last.get(warm[0]) and last[warm[0]].dagster_run.status == dg.DagsterRunStatus.SUCCESS:
            produce(kafka, [warm], feedback_submitted, rng)
            watcher.created_runs([Produced(*warm, at=0)], is_revision, 30)
        targets = [s for s in sessions if s[0] in done]
        started = time.time()
        produced = produce(kafka, targets, feedback_submitted, rng)
        print(f"produced {len(produced)} feedback.submitted in {time.time() - started:.1f} s")
        second = measure(watcher, "feedback.submitted", produced, is_revision, started, 60)

        passed = report([first, second], args.events)
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=20, help="events per kind (default 20)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary DAGSTER_HOME")
    parser.add_argument("--seed", type=int, default=7, help="seed of the gaps between events")
    parser.add_argument("--timeout", type=float, default=600, help="for the session runs, s")
    parser.add_argument("--sensor-loop", type=float, help="experiment: see the module doc")
    parser.add_argument("--sensor-threads", type=int, help="experiment: see the module doc")
    parser.add_argument("--max-concurrent-runs", type=int, help="experiment: see the module doc")
    parser.add_argument(
        "--with-relay", action="store_true", help="then run benchmarks/relay_throughput.py"
    )
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")

    signal.signal(signal.SIGTERM, interrupt_on_sigterm)
    begun = time.monotonic()
    home = Path(tempfile.mkdtemp(prefix="genesis-kafka-latency-"))
    passed = False
    try:
        passed = run(args, home)
    except BenchmarkError as error:
        print(f"error: {error}", file=sys.stderr)
        log = home / "daemon.log"
        if log.exists():
            tail = log.read_text(errors="replace").splitlines()[-25:]
            print("daemon.log, last lines:", *tail, sep="\n  ", file=sys.stderr)
    except KeyboardInterrupt:
        print("interrupted; stopping the daemon and the broker", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept {home} (daemon.log, broker.log, the instance)")
        else:
            shutil.rmtree(home, ignore_errors=True)
    elapsed = time.monotonic() - begun
    verdict = "PASS" if passed else "FAIL"
    print(f"verdict: {verdict} (goal: event → run created p95 ≤ {GOAL_P95_S:g} s, both kinds)")
    print(f"total {elapsed:.1f} s")

    if args.with_relay:
        print("\n--- benchmarks/relay_throughput.py ---")
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import relay_throughput

        sys.argv = [sys.argv[0]]
        relay_throughput.main()
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
