"""Helper processes this package starts on 127.0.0.1 (the local broker, the local model server):
a free port, a log file, and a stop that does not hang."""

import ctypes
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Self

PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before it starts: end it when the thread that started it ends, however
    that ends. SIGKILL, not SIGTERM: a server would finish the request in flight first."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class LocalProcess:
    """One child process with its output in `log` (or discarded); `with` starts and stops it."""

    def __init__(self, *, log: Path | None = None) -> None:
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def spawn(self, command: list[str], *, die_with_parent: bool = False) -> None:
        if self.log:
            self.log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log, "ab") if self.log else None  # noqa: SIM115
        output = self._log_file or subprocess.DEVNULL
        self.process = subprocess.Popen(
            command,
            stdout=output,
            stderr=output,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
