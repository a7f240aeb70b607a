"""`genesis dev`: a local broker when none answers, then `dagster dev`; one signal stops both.

The relay and the Kafka consumers are sensors that are on by default, so the daemon that
`dagster dev` starts runs them: this module only has to provide a broker and supervise.
"""

import asyncio
import ipaddress
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from genesis_pipeline.messaging.local_broker import BrokerError, LocalBroker, answers
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.settings import GenesisSettings

# `dagster dev` gives each of its services up to 60 s to stop; give it that and a margin
# before it and everything in its process group is killed.
DAGSTER_STOP_TIMEOUT_S = 90.0
CHECK_INTERVAL_S = 0.5


class DevStackError(RuntimeError):
    """The stack cannot start; the message is one line for the user."""


def loopback_port(bootstrap: str) -> int | None:
    """The port when `bootstrap` is one loopback address, where a local broker can stand in."""
    host, _, port = bootstrap.strip().rpartition(":")
    if "," in bootstrap or not port.isdigit():
        return None
    host = host.strip("[]")
    try:
        is_loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return None
    # The local broker listens on 127.0.0.1 only, so an IPv6 loopback cannot be served.
    return int(port) if is_loopback and host != "::1" else None


@contextmanager
def stop_requests() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, instead of KeyboardInterrupt anywhere in between."""
    requested = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        requested.set()

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def start_local_broker(settings: GenesisSettings, log: Path) -> LocalBroker:
    """The local broker on the configured loopback port, with the four topics created."""
    from genesis_pipeline.messaging.kafka import KafkaConfig, KafkaUnavailableError

    port = loopback_port(settings.kafka_bootstrap)
    if port is None:
        raise DevStackError(
            f"no Kafka broker answers at {settings.kafka_bootstrap} (GENESIS_KAFKA_BOOTSTRAP), "
            "and a local broker stands in only for one 127.0.0.1/localhost address: start "
            "that broker, or unset GENESIS_KAFKA_BOOTSTRAP"
        )
    try:
        broker = LocalBroker(port, log=log).start()
    except BrokerError as error:
        raise DevStackError(f"cannot start the local broker: {error}") from None
    config = KafkaConfig.from_settings(settings, bootstrap=broker.bootstrap, idempotence=False)
    try:
        asyncio.run(config.create_topics([config.topic(t) for t in Topic]))
    except KafkaUnavailableError as error:
        broker.stop()
        raise DevStackError(f"the local broker does not take topics: {error}") from None
    return broker


def run_dev_stack(
    workspace: Path,
    *,
    home: Path,
    webserver_port: int,
    say: Callable[[str], None],
    extra_env: dict[str, str] | None = None,
) -> int:
    """Run until SIGINT/SIGTERM (0) or until `dagster dev` exits on its own (its exit code).

    `extra_env` reaches `dagster dev` and its runs (e.g. the model server `genesis dev` started).
    """
    settings = GenesisSettings()
    env = dict(os.environ) | (extra_env or {})
    broker: LocalBroker | None = None
    if answers(f"127.0.0.1:{webserver_port}"):
        raise DevStackError(f"port {webserver_port} is taken; pick another with --port")
    with stop_requests() as stop:
        try:
            if answers(settings.kafka_bootstrap):
                say(f"broker   the one answering at {settings.kafka_bootstrap}")
            else:
                log = home / "broker.log"
                broker = start_local_broker(settings, log)
                env["GENESIS_KAFKA_BOOTSTRAP"] = broker.bootstrap
                # Tansu refuses the idempotent producer (InitProducerId).
                env["GENESIS_KAFKA_IDEMPOTENCE"] = "false"
                topics = ", ".join(t.value for t in Topic)
                prefix = f" (prefix {settings.topic_prefix!r})" if settings.topic_prefix else ""
                say(
                    f"broker   local Tansu at {broker.bootstrap}, in memory; log {log}\n"
                    f"         topics {topics}{prefix}; GENESIS_KAFKA_IDEMPOTENCE=false"
                )
            if stop.is_set():
                return 0
            return _supervise_dagster(workspace, webserver_port, env, stop, say)
        finally:
            if broker is not None:
                broker.stop()


def _supervise_dagster(
    workspace: Path,
    webserver_port: int,
    env: dict[str, str],
    stop: threading.Event,
    say: Callable[[str], None],
) -> int:
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace)]
    command += ["--port", str(webserver_port)]
    # Its own session: a Ctrl-C in the terminal reaches only us, and we stop `dagster dev`
    # exactly once (a second SIGINT would cut its own orderly shutdown short).
    dagster = subprocess.Popen(command, env=env, start_new_session=True)
    say(f"UI       http://127.0.0.1:{webserver_port}  (Ctrl-C stops everything started here)")
    try:
        while not stop.wait(CHECK_INTERVAL_S):
            code = dagster.poll()
            if code is not None:
                say(f"dagster dev exited with code {code}")
                return code if code > 0 else 1
        say("stopping …")
        return 0
    finally:
        _stop_process_group(dagster)


def _stop_process_group(process: "subprocess.Popen[bytes]") -> None:
    """SIGINT for `dagster dev`'s orderly shutdown, then clear what is left of its group.

    What is left are processes `dagster dev` does not wait for, such as runs the daemon
    launched; "Ctrl-C stops all" includes them.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=DAGSTER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait()
    _signal_group(process.pid, signal.SIGTERM)


def _signal_group(group: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # the group is empty: everything has exited
        os.killpg(group, sig)
