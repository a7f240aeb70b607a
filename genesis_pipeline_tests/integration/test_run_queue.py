"""The run queue as the two instance configs set it up: priority, one run per session, the
backfill limit. Dagster's own queue daemon dequeues; only the launcher is Dagster's test one."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.test_utils import (
    create_run_for_test,
    create_test_daemon_workspace_context,
    instance_for_test,
)
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from genesis_pipeline.service.planner import session_tags

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {
    "deploy": ROOT / "deploy" / "dagster.yaml",
    "embedded": ROOT / "dagster_home" / "dagster.yaml",
}
ORIGIN = RemoteJobOrigin(
    repository_origin=RemoteRepositoryOrigin(
        code_location_origin=RegisteredCodeLocationOrigin("genesis_pipeline"),
        repository_name="__repository__",
    ),
    job_name="genesis_session_job",
)


def concurrency(config: str, max_concurrent_runs: int | None = None) -> dict[str, Any]:
    section = yaml.safe_load(CONFIGS[config].read_text())["concurrency"]
    if max_concurrent_runs is not None:
        section["runs"]["max_concurrent_runs"] = max_concurrent_runs
    return section


@pytest.fixture
def queue(request: pytest.FixtureRequest) -> Iterator[dg.DagsterInstance]:
    config, max_runs = request.param
    overrides = {
        "concurrency": concurrency(config, max_runs),
        "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"},
    }
    with instance_for_test(overrides=overrides) as instance:
        yield instance


def queued(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run = create_run_for_test(
        instance, status=dg.DagsterRunStatus.QUEUED, tags=tags, remote_job_origin=ORIGIN
    )
    return run.run_id


def dequeue(instance: dg.DagsterInstance) -> set[str]:
    with create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance) as context:
        list(QueuedRunCoordinatorDaemon(interval_seconds=1).run_iteration(context))
    return {run.run_id for run in instance.run_launcher.queue()}  # type: ignore[attr-defined]


def partition(session_id: str) -> dict[str, str]:
    return {"dagster/partition": session_id}


@pytest.mark.parametrize("queue", [("deploy", 2), ("embedded", 2)], indirect=True)
def test_the_highest_priorities_start_first_one_run_per_session(queue: dg.DagsterInstance) -> None:
    low = queued(queue, {**session_tags("s1", 0), **partition("s1")})
    high = queued(queue, {**session_tags("s1", 5), **partition("s1")})
    backfill = queued(
        queue, {**session_tags("s2", -11), **partition("s2"), "genesis/backfill": "stale_prompt"}
    )
    middle = queued(queue, {**session_tags("s3", 3), **partition("s3")})

    assert dequeue(queue) == {high, middle}
    assert {low, backfill}.isdisjoint(dequeue(queue))  # both still wait: s1 busy, slots full


@pytest.mark.parametrize("queue", [("deploy", None), ("embedded", None)], indirect=True)
def test_a_run_started_in_the_ui_waits_for_the_sessions_sensor_run(
    queue: dg.DagsterInstance,
) -> None:
    by_sensor = queued(queue, {**session_tags("s1", 0), **partition("s1")})
    from_ui = queued(queue, partition("s1"))  # a UI re-materialization has only the partition

    assert dequeue(queue) == {by_sensor}
    assert from_ui not in dequeue(queue)


@pytest.mark.parametrize(
    ("queue", "limit"), [(("deploy", None), 2), (("embedded", None), 1)], indirect=["queue"]
)
def test_stale_prompt_backfills_hold_few_run_slots(queue: dg.DagsterInstance, limit: int) -> None:
    for n in range(4):
        sid = f"b{n}"
        queued(queue, {**session_tags(sid, -11), **partition(sid), "genesis/backfill": "x"})
    writer = queued(queue, {**session_tags("w1", 0), **partition("w1")})

    launched = dequeue(queue)
    assert writer in launched
    assert len(launched) == limit + 1
