"""The production deployment on one machine, for fault tests and `benchmarks/load.py`.

deploy/dagster.yaml as it ships (dagster-postgres, S3 compute logs, run queue, run monitoring,
run retries) on scratch PostgreSQL databases, a local S3-compatible server, the real broker and
the real `dagster-daemon` on this workspace. Nothing is faked: runs are launched by the daemon
into run-worker processes, exactly as in production with the default run launcher.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import dagster as dg
import yaml

from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.domain.session import SessionStatus
from genesis_pipeline.messaging.kafka import KafkaConfig, OutMessage
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.service.planner import PARTITION_TAG, SESSION_TAG
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.support.kafka_topics import published_events
from genesis_pipeline_tests.support.postgres import scratch_database
from genesis_pipeline_tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]
COMPUTE_LOG_BUCKET = "genesis-compute-logs"
BIBLE_BUCKET = "genesis-bibles"
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def request_sessions(
    kafka: KafkaConfig, session_ids: Iterable[str], premise: str, **payload: Any
) -> None:
    """`genesis.session.requested` for each session, in one batch on genesis.commands."""
    asyncio.run(kafka.publish(session_requests(kafka, session_ids, premise, **payload)))


def session_requests(
    kafka: KafkaConfig, session_ids: Iterable[str], premise: str, **payload: Any
) -> list[OutMessage]:
    """`genesis.session.requested` for each session, keyed by session, for genesis.commands."""
    messages = []
    for sid in session_ids:
        envelope = Envelope(
            event_id=str(uuid.uuid4()),
            event_type="genesis.session.requested",
            session_id=sid,
            correlation_id=str(uuid.uuid4()),
            occurred_at=datetime.now(UTC),
            payload={"premise": premise, **payload},
        )
        value = envelope.model_dump_json().encode()
        messages.append(OutMessage(kafka.topic(Topic.COMMANDS), sid.encode(), value))
    return messages


@dataclass
class ProductionStack:
    home: Path
    env: dict[str, str]
    kafka: KafkaConfig
    store: GenesisStore
    instance: dg.DagsterInstance
    daemon: subprocess.Popen[bytes] | None = None
    _log_handles: list[Any] = field(default_factory=list)

    # --- processes -------------------------------------------------------------------------

    def start_daemon(self) -> None:
        assert self.daemon is None, "the daemon is running already"
        log = open(self.home / "daemon.log", "ab")  # noqa: SIM115 - closed in stop_daemon
        self._log_handles.append(log)
        self.daemon = subprocess.Popen(
            [sys.executable, "-m", "dagster._daemon", "run", "-w", "workspace.yaml"],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its code server and run workers are in its group
        )

    def stop_daemon(self, *, whole_group: bool = True, timeout_s: float = 60) -> None:
        """SIGTERM the daemon (and with `whole_group` its code server and run workers)."""
        daemon, self.daemon = self.daemon, None
        if daemon is None:
            return
        if whole_group:
            os.killpg(daemon.pid, signal.SIGTERM)
        else:
            daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)
            daemon.wait()
        for handle in self._log_handles:
            handle.close()
        self._log_handles.clear()

    def daemon_log(self) -> str:
        path = self.home / "daemon.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    # --- the product's inputs and outputs --------------------------------------------------

    def request_sessions(self, session_ids: Iterable[str], premise: str, **payload: Any) -> None:
        request_sessions(self.kafka, session_ids, premise, **payload)

    def completed_sessions(self, session_ids: Iterable[str]) -> set[str]:
        """Sessions the store holds as completed (their `session.completed` is in the outbox)."""
        with self.store.read() as r:
            records = {sid: r.sessions.get(sid) for sid in session_ids}
        return {sid for sid, s in records.items() if s and s.status == SessionStatus.COMPLETED}

    def published(self) -> list[Envelope]:
        return published_events(self.kafka)

    def wait_until_published(self, timeout_s: float = 120) -> None:
        """Until the relay has published every outbox row."""

        def all_sent() -> bool:
            with self.store.read() as r:
                return not r.outbox.has_unsent()

        wait_for("the relay to publish the outbox", all_sent, timeout_s)

    # --- Dagster's records -----------------------------------------------------------------

    def runs(self, session_id: str | None = None) -> list[dg.RunRecord]:
        """Runs of one session (or of every session): all carry its partition tag."""
        tags = {"dagster/partition": session_id} if session_id else {}
        records = self.instance.get_run_records(dg.RunsFilter(tags=tags))
        return [r for r in records if "dagster/partition" in r.dagster_run.tags]

    def running_step(self, session_id: str, step: str) -> dg.RunRecord | None:
        """The session's run that has started `step` and not yet finished it."""
        for record in self.runs(session_id):
            if record.dagster_run.status != dg.DagsterRunStatus.STARTED:
                continue
            types = [
                e.dagster_event.event_type
                for e in self.instance.all_logs(record.dagster_run.run_id)
                if e.dagster_event and e.dagster_event.step_key == step
            ]
            started = dg.DagsterEventType.STEP_START in types
            ended = {dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
            if started and not ended.intersection(types):
                return record
        return None

    def run_worker_pid(self, run_id: str) -> int | None:
        """The pid of a run's worker, from the in-process executor's engine event."""
        for entry in self.instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            event = entry.dagster_event
            data = event.engine_event_data if event else None
            pid = data.metadata.get("pid") if data else None
            if pid is not None:
                return int(pid.value)
        return None


def overlapping_runs(records: Iterable[dg.RunRecord]) -> list[tuple[str, str, str]]:
    """(session, run, run) for every two runs of one session that were in progress together,
    judged from the run records' start and end times."""
    by_session: dict[str, list[tuple[float, float, str]]] = {}
    for record in records:
        run = record.dagster_run
        session = run.tags.get(SESSION_TAG) or run.tags.get(PARTITION_TAG)
        if session is None or record.start_time is None:
            continue
        end = record.end_time if record.end_time is not None else time.time()
        by_session.setdefault(session, []).append((record.start_time, end, run.run_id))
    clashes = []
    for session, spans in by_session.items():
        spans.sort()
        latest_end, latest_run = spans[0][1], spans[0][2]
        for start, end, run_id in spans[1:]:
            if start < latest_end:
                clashes.append((session, latest_run, run_id))
            if end > latest_end:
                latest_end, latest_run = end, run_id
    return clashes


class PeakRss:
    """Samples the peak resident memory (VmHWM) of the daemon's run workers from /proc."""

    def __init__(self, is_run_worker: Callable[[int], bool], interval_s: float = 0.2) -> None:
        self._is_run_worker = is_run_worker
        self._interval_s = interval_s
        self.peaks_kb: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self._interval_s):
            for pid in _pids():
                if pid in self.peaks_kb or self._is_run_worker(pid):
                    peak = _vm_hwm_kb(pid)
                    if peak is not None:
                        self.peaks_kb[pid] = max(peak, self.peaks_kb.get(pid, 0))


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _runs_in(home: Path, pid: int) -> bool:
    try:
        return f"DAGSTER_HOME={home}".encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def _is_dagster(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"dagster" in cmdline or b"multiprocessing" in cmdline


def kill_leftovers(home: Path) -> None:
    """SIGKILL what is left of this stack (a code server orphaned by a daemon restart, its run
    workers) before its databases are dropped; with them gone it could never finish."""
    for pid in _pids():
        if pid != os.getpid() and _runs_in(home, pid) and _is_dagster(pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def is_run_worker_of(home: Path) -> Callable[[int], bool]:
    """Run workers are the code server's spawned children, with this stack's DAGSTER_HOME."""

    def check(pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
        return b"multiprocessing-fork" in cmdline and _runs_in(home, pid)

    return check


def instance_yaml(overrides: Mapping[str, Any] | None = None) -> str:
    """deploy/dagster.yaml with top-level sections replaced by `overrides`."""
    config = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return yaml.safe_dump(config, sort_keys=False)


@contextmanager
def production_stack(
    workdir: Path,
    *,
    postgres_admin_url: str,
    kafka_bootstrap: str,
    s3_endpoint: str,
    env: Mapping[str, str] | None = None,
    instance_overrides: Mapping[str, Any] | None = None,
) -> Iterator[ProductionStack]:
    """Everything deploy/README.md describes, on scratch databases; the daemon not yet started."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text(instance_yaml(instance_overrides))
    prefix = f"p{uuid.uuid4().hex[:10]}."
    with ExitStack() as stack:
        dagster_db = stack.enter_context(
            scratch_database(postgres_admin_url, prefix="genesis_dagster", migrated=False)
        )
        store_db = stack.enter_context(scratch_database(postgres_admin_url, prefix="genesis_store"))
        full_env = {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_URL": dagster_db.replace("postgresql+psycopg://", "postgresql+psycopg2://"),
            "DAGSTER_COMPUTE_LOG_BUCKET": COMPUTE_LOG_BUCKET,
            "AWS_ENDPOINT_URL": s3_endpoint,
            "AWS_ACCESS_KEY_ID": "genesis-test",
            "AWS_SECRET_ACCESS_KEY": "genesis-test-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "GENESIS_DATABASE_URL": store_db,
            "GENESIS_EXPORT_URI": f"s3://{BIBLE_BUCKET}/bibles",
            "GENESIS_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "GENESIS_TOPIC_PREFIX": prefix,
            "GENESIS_KAFKA_IDEMPOTENCE": "false",
            **(env or {}),
        }
        saved = {name: os.environ.get(name) for name in full_env}
        os.environ.update(full_env)
        stack.callback(_restore_environ, saved)
        s3 = boto3.client("s3", endpoint_url=s3_endpoint)
        for bucket in (COMPUTE_LOG_BUCKET, BIBLE_BUCKET):
            s3.create_bucket(Bucket=bucket)
        kafka = KafkaConfig(bootstrap=kafka_bootstrap, topic_prefix=prefix, idempotence=False)
        asyncio.run(kafka.create_topics([kafka.topic(t) for t in Topic]))
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
        stack_ = ProductionStack(
            home=home, env=full_env, kafka=kafka, store=GenesisStore(store_db), instance=instance
        )
        stack.callback(kill_leftovers, home)
        stack.callback(stack_.stop_daemon)
        yield stack_


def _restore_environ(saved: Mapping[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
