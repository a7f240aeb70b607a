"""A Dagster webserver on this workspace, on a free loopback port (tests and benchmarks)."""

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from genesis_pipeline.local_process import free_port
from genesis_pipeline_tests.support.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def dagster_webserver(home: Path, env: Mapping[str, str]) -> Iterator[str]:
    """Start `dagster-webserver` with DAGSTER_HOME `home` and `env` (its log in
    `home/webserver.log`); yield its URL once it answers; stop it after."""
    port = free_port()
    log = open(home / "webserver.log", "wb")  # noqa: SIM115 - closed below
    command = [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml"]
    process = subprocess.Popen(
        [*command, "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env={**os.environ, **env, "DAGSTER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        wait_for("the webserver to answer", answers, 180, watched=process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
