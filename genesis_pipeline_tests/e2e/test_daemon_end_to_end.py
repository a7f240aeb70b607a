"""The whole pipeline as it runs in production, on one machine: the real `dagster-daemon`
(sensors, run queue, run launcher, run monitoring) on this workspace, the real broker, the
SQLite defaults."""

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from genesis_pipeline.defs.resources import genesis_resources
from genesis_pipeline.defs.run_launcher import WORKER_PID_TAG, WarmRunLauncher
from genesis_pipeline.defs.stages.definitions import GENESIS_ASSETS
from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.domain.stages import Stage
from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.e2e.pipeline.test_commands import FULL_CHAIN
from genesis_pipeline_tests.support.kafka_topics import published_events
from genesis_pipeline_tests.support.production_stack import request_sessions
from genesis_pipeline_tests.support.waiting import wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PREMISE = "A bell founder in a flooded abbey casts a bell that rings only for the drowned"


@pytest.fixture
def daemon_env(
    tmp_path: Path, kafka: KafkaConfig, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "GENESIS_DATABASE_URL": f"sqlite:///{home / 'genesis.db'}",
        "GENESIS_EXPORT_URI": str(home / "exports"),
        "GENESIS_KAFKA_BOOTSTRAP": kafka.bootstrap,
        "GENESIS_TOPIC_PREFIX": kafka.topic_prefix,
        "GENESIS_KAFKA_IDEMPOTENCE": "false",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    daemon = subprocess.Popen(
        [sys.executable, "-m", "dagster._daemon", "run", "-w", "workspace.yaml"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=open(home / "daemon.log", "wb"),  # noqa: SIM115 - closed with the process
        start_new_session=True,  # its run workers die with it
    )
    try:
        yield env
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(daemon.pid, signal.SIGKILL)


def automation_ticked_after(instance: dg.DagsterInstance, moment: float) -> bool:
    for state in instance.all_instigator_state():
        if state.instigator_name == "genesis_automation_sensor":
            ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
            return bool(ticks) and ticks[0].timestamp > moment
    return False


def test_a_session_over_kafka_and_a_stage_rematerialized_by_hand(
    daemon_env: dict[str, str], kafka: KafkaConfig
) -> None:
    sid = "abbey-bell-01"
    request_sessions(kafka, [sid], PREMISE, priority=2)

    def completed() -> list[Envelope] | None:
        events = published_events(kafka, sid)
        done = events and events[-1].event_type == "genesis.session.completed"
        return events if done else None

    events = wait_for("genesis.session.completed on genesis.events", completed, 180)
    assert [e.event_type.removeprefix("genesis.") for e in events] == FULL_CHAIN
    assert len({e.event_id for e in events}) == len(events)
    assert (Path(daemon_env["GENESIS_EXPORT_URI"]) / f"{sid}.json").exists()

    # As "Materialize" on `concept` in the UI: the automation sensor brings `story` (and after
    # it the rest) up to date once the new concept has passed its blocking gates.
    store = GenesisStore(daemon_env["GENESIS_DATABASE_URL"])
    with dg.DagsterInstance.get() as instance:
        # An upstream update in the same automation tick as the downstream's own update counts
        # as handled, so the hand-made run comes after the tick that saw the session finish.
        finished = time.time()
        wait_for("an automation tick", lambda: automation_ticked_after(instance, finished), 60)
        by_hand = dg.materialize(
            GENESIS_ASSETS,
            selection=["concept"],
            partition_key=sid,
            instance=instance,
            resources=genesis_resources(),
        )
        assert by_hand.success
        assert store.current_approved(sid, Stage.CONCEPT).version == 2

        def story_rebuilt() -> bool:
            story = store.current_approved(sid, Stage.STORY)
            return story is not None and story.upstream_versions == {Stage.CONCEPT: 2}

        wait_for("story rebuilt on concept v2 by the automation sensor", story_rebuilt, 180)
        runs = instance.get_run_records(dg.RunsFilter(tags={"dagster/partition": sid}))
        automated = [r for r in runs if "dagster/from_automation_condition" in r.dagster_run.tags]
        assert automated, [r.dagster_run.tags for r in runs]


# --- run workers (WarmRunLauncher, the embedded default's launcher) -----------------------------


@pytest.fixture
def slow_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each generation call takes 3 s, so a run is still in its first steps when acted on, and
    goes on for longer than the launcher's grace period after SIGTERM."""
    monkeypatch.setenv("GENESIS_OFFLINE_LATENCY_S", "3")


def started_run(instance: dg.DagsterInstance, sid: str) -> dg.DagsterRun | None:
    runs = instance.get_runs(dg.RunsFilter(tags={"genesis/session": sid}))
    running = [r for r in runs if r.status == dg.DagsterRunStatus.STARTED]
    return running[0] if running and WORKER_PID_TAG in running[0].tags else None


def test_terminating_a_run_stops_its_worker(
    slow_stages: None, daemon_env: dict[str, str], kafka: KafkaConfig
) -> None:
    sid = "abbey-bell-02"
    request_sessions(kafka, [sid], PREMISE)
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_launcher, WarmRunLauncher)
        run = wait_for("the session's run to start", lambda: started_run(instance, sid), 120)
        worker = int(run.tags[WORKER_PID_TAG])
        assert worker_alive(worker)

        # As "Terminate" in the UI: this process's launcher reaches the daemon's worker.
        assert instance.run_coordinator.cancel_run(run.run_id)
        wait_for(
            "the run to be canceled",
            lambda: instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED,
            60,
        )
        wait_for("its worker to exit", lambda: not worker_alive(worker), 30)


def test_a_killed_worker_fails_its_run_and_the_run_is_retried(
    slow_stages: None, daemon_env: dict[str, str], kafka: KafkaConfig
) -> None:
    sid = "abbey-bell-03"
    request_sessions(kafka, [sid], PREMISE)
    with dg.DagsterInstance.get() as instance:
        run = wait_for("the session's run to start", lambda: started_run(instance, sid), 120)
        os.kill(int(run.tags[WORKER_PID_TAG]), signal.SIGKILL)

        wait_for(  # run monitoring asks the launcher whether the worker is alive
            "the run to be failed",
            lambda: instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE,
            90,
        )
        retried = dg.RunsFilter(tags={"dagster/parent_run_id": run.run_id})
        wait_for("the run's retry", lambda: instance.get_runs(retried), 90)
        store = GenesisStore(daemon_env["GENESIS_DATABASE_URL"])
        wait_for(
            "the session to complete",
            lambda: store.session(sid).status.value == "completed",
            240,
        )


def worker_alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
