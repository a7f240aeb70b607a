"""The one way tests and benchmarks wait: poll until something is there, bounded."""

import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    timeout_s: float,
    poll_s: float = 0.5,
    *,
    watched: subprocess.Popen | None = None,  # type: ignore[type-arg]
) -> T:
    """What `probe` returns once it is truthy; fails after `timeout_s`, or as soon as the
    `watched` process has exited (it will not bring `what` any more)."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = probe()
        if found:
            return found
        if watched is not None and watched.poll() is not None:
            raise AssertionError(f"the process exited ({watched.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g}s waiting for {what}")
        time.sleep(poll_s)
