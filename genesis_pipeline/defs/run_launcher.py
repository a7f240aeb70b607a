"""`WarmRunLauncher`: Dagster's run worker (`dagster api execute_run`), started in ~0.1 s
instead of ~2 s, for one-host deployments (docs/decisions/0005-push-entry-point.md).

Dagster's default launcher asks the code server to start each run, and the code server spawns
a fresh interpreter that imports Dagster and the code location before the run's first step.
This launcher forks each run worker from a warm process instead: a `multiprocessing`
forkserver that imported Dagster (and the libraries named in `preload`) once. The worker then
imports the code location itself, so a changed code location is never run stale, and runs
the same `dagster api execute_run` command as the container launchers (Kubernetes, ECS).

Like the default launcher, workers are processes of this host: terminating a run sends its
worker SIGTERM (Dagster's worker turns it into an interrupt and marks the run canceled; a
worker still running after a grace period is killed and its run marked canceled), and run
monitoring sees a dead worker through `check_run_worker_health`. The worker's pid is a run
tag, so any process of the host (the webserver's "Terminate", the daemon) can reach it.
"""

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from contextlib import suppress
from typing import Any

import dagster as dg
from dagster._core.launcher import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData

WORKER_PID_TAG = "genesis/run_worker_pid"
TERMINATE_GRACE_S = 5.0
# Imported once by the forkserver, so a worker only imports the code location (~0.2 s): the
# worker's entry point (Dagster's CLI, which pulls in Dagster), what opening the embedded
# instance's SQLite storage imports (~0.35 s more), and libraries the code location uses.
# Never the code location itself: a worker forked from it would run code older than the code
# server's after an edit and a reload.
DEFAULT_PRELOAD = (
    "dagster._cli",
    "dagster._core.storage.sqlite_storage",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "alembic",
    "pydantic_settings",
    "sqlalchemy",
    "yaml",
)


def _execute_run(command_args: Sequence[str]) -> None:
    """In the forked worker: `dagster api execute_run …`, as a run worker's process would."""
    from dagster._cli import cli
    from dagster._utils.interrupts import setup_interrupt_handlers

    # The forkserver ignores SIGINT and its children may inherit that: restore Python's own
    # handler, then let SIGTERM interrupt the run as in Dagster's container run workers.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    setup_interrupt_handlers()
    sys.argv = list(command_args)
    cli.main(args=list(command_args[1:]), prog_name="dagster")


class WarmRunLauncher(RunLauncher, ConfigurableClass):
    def __init__(
        self,
        inst_data: ConfigurableClassData | None = None,
        preload: Sequence[str] = DEFAULT_PRELOAD,
    ) -> None:
        self._inst_data = inst_data
        self._preload = list(preload)
        self._context: multiprocessing.context.ForkServerContext | None = None
        self._workers: dict[str, multiprocessing.process.BaseProcess] = {}
        self._lock = threading.Lock()
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, dg.Field]:
        return {
            "preload": dg.Field(
                [str],
                is_required=False,
                default_value=list(DEFAULT_PRELOAD),
                description="Modules the forkserver imports once for every run worker.",
            )
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> "WarmRunLauncher":
        return cls(inst_data=inst_data, **config_value)

    def _forkserver(self) -> multiprocessing.context.ForkServerContext:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(self._preload)
            self._context = context
        return self._context

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        if run.job_code_origin is None:
            raise dg.DagsterInvariantViolationError(f"run {run.run_id} has no code origin")
        command = ExecuteRunArgs(
            job_origin=run.job_code_origin,
            run_id=run.run_id,
            instance_ref=self._instance.get_ref(),
            set_exit_code_on_failure=True,
        ).get_command_args()
        worker = self._forkserver().Process(target=_execute_run, args=(command,), daemon=False)
        with self._lock:
            worker.start()
            self._workers = {k: p for k, p in self._workers.items() if p.is_alive()}
            self._workers[run.run_id] = worker
        self._instance.add_run_tags(run.run_id, {WORKER_PID_TAG: str(worker.pid)})

    def _pid(self, run: dg.DagsterRun) -> int | None:
        pid = run.tags.get(WORKER_PID_TAG)
        return int(pid) if pid and pid.isdigit() else None

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        pid = self._pid(run) if run else None
        if run is None or run.is_finished or pid is None or not _alive(pid):
            return False
        self._instance.report_run_canceling(run)
        os.kill(pid, signal.SIGTERM)
        # A step with a retry policy answers the interrupt by retrying (Dagster's rule), so a
        # worker may go on: it is killed, and its run canceled, after a grace period.
        grace = threading.Timer(TERMINATE_GRACE_S, self._kill, args=(run_id, pid))
        grace.daemon = True
        grace.start()
        return True

    def _kill(self, run_id: str, pid: int) -> None:
        if not _alive(pid):
            return
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        run = self._instance.get_run_by_id(run_id)
        if run is not None and not run.is_finished:
            self._instance.report_run_canceled(
                run,
                message=f"run worker {pid} still ran {TERMINATE_GRACE_S:g}s after SIGTERM: killed",
            )

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        pid = self._pid(run)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.UNKNOWN, "no run worker pid recorded")
        if _alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING)
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker {pid} is gone")

    def dispose(self) -> None:
        with self._lock:
            for worker in self._workers.values():
                worker.join(timeout=0)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
