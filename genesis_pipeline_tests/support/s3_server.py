"""A real S3-compatible server for tests: moto's server in its own process on 127.0.0.1.

Its own process keeps moto out of the test process (no botocore hooks, no shared settings),
and lets a second server check credentials (INITIAL_NO_AUTH_ACTION_COUNT=0) while the first
accepts any."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.error import URLError

STARTUP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(endpoint: str) -> bool:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
    try:
        with direct.open(f"{endpoint}/moto-api/data.json", timeout=1) as response:
            return bool(response.status == 200)
    except (URLError, OSError):
        return False


@contextmanager
def moto_s3_server(*, check_credentials: bool = False) -> Iterator[str]:
    """Start moto's server on a free loopback port; yields its endpoint URL.

    With `check_credentials`, every request is authenticated against moto's IAM, in which
    no access key exists: any credentials are refused (403 InvalidAccessKeyId)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    if check_credentials:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
    last_error = ""
    for _ in range(3):  # the free port can be taken between probing and binding it
        port = _free_port()
        endpoint = f"http://127.0.0.1:{port}"
        # A file, not a pipe: moto logs every request, and a full pipe would stall the server.
        with tempfile.TemporaryFile() as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            try:
                deadline = time.monotonic() + STARTUP_TIMEOUT_S
                while server.poll() is None and time.monotonic() < deadline:
                    if _answers(endpoint):
                        yield endpoint
                        return
                    time.sleep(0.1)
                if server.poll() is None:
                    raise RuntimeError(f"moto server on {endpoint} did not answer in time")
                log.seek(0)
                last_error = log.read().decode(errors="replace")[-2000:]
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    raise RuntimeError(f"moto server did not start: {last_error}")
