"""`genesis dev`: a local broker when none answers, `dagster dev`, and `genesis consume`; one
signal stops them all.

The relay is a sensor that is on by default, so the daemon that `dagster dev` starts runs it.
Kafka requests are read by `genesis consume` (GENESIS_KAFKA_ENTRY=consumer, the fast entry
point), or with `sensors=True` by the daemon's Kafka sensors, as with no setup at all.
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

from genesis_pipeline.cli.metrics_server import serving_metrics
from genesis_pipeline.messaging.local_broker import BrokerError, LocalBroker, answers
from genesis_pipeline.messaging.topics import Topic
from genesis_pipeline.settings import GenesisSettings
from genesis_pipeline.store.genesis_store import GenesisStore

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


def create_storage(home: Path, settings: GenesisSettings) -> None:
    """Create the instance's storage and the genesis store before the processes that share
    them start: processes that create a fresh SQLite database at the same moment can each stamp
    its schema version, and then every later open fails ("more than one head")."""
    import dagster as dg

    from genesis_pipeline.store.genesis_store import GenesisStore

    with dg.DagsterInstance.from_config(str(home)):
        pass
    GenesisStore(settings.resolved_database_url())


def run_dev_stack(
    workspace: Path,
    *,
    home: Path,
    webserver_port: int,
    say: Callable[[str], None],
    extra_env: dict[str, str] | None = None,
    sensors: bool = False,
    metrics_port: int | None = None,
) -> int:
    """Run until SIGINT/SIGTERM (0) or until a process exits on its own (its exit code).

    `extra_env` reaches `dagster dev` and its runs (e.g. the model server `genesis dev` started).
    Metrics on `metrics_port` (or GENESIS_METRICS_PORT) are served by `genesis consume`, or with
    `sensors` by this process.
    """
    settings = GenesisSettings()
    metrics_port = metrics_port or settings.metrics_port
    env = dict(os.environ) | (extra_env or {})
    env["GENESIS_KAFKA_ENTRY"] = "sensors" if sensors else "consumer"
    env.pop("GENESIS_METRICS_PORT", None)  # one process serves them: the port is passed to it
    broker: LocalBroker | None = None
    if answers(f"127.0.0.1:{webserver_port}"):
        raise DevStackError(f"port {webserver_port} is taken; pick another with --port")
    create_storage(home, settings)
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
            if not sensors:
                return _supervise(
                    workspace, webserver_port, env, stop, say, consumer_metrics_port=metrics_port
                )
            store = GenesisStore(settings.resolved_database_url())
            with serving_metrics(metrics_port, settings.metrics_host, store):
                return _supervise(workspace, webserver_port, env, stop, say, consumer=False)
        finally:
            if broker is not None:
                broker.stop()


def _supervise(
    workspace: Path,
    webserver_port: int,
    env: dict[str, str],
    stop: threading.Event,
    say: Callable[[str], None],
    *,
    consumer: bool = True,
    consumer_metrics_port: int | None = None,
) -> int:
    dagster_dev = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace)]
    commands = {"dagster dev": [*dagster_dev, "--port", str(webserver_port)]}
    if consumer:
        url = f"http://127.0.0.1:{webserver_port}"
        commands["genesis consume"] = [
            sys.executable, "-m", "genesis_pipeline.cli", "consume", "--dagster-url", url
        ]  # fmt: skip
        if consumer_metrics_port is not None:
            commands["genesis consume"] += ["--metrics-port", str(consumer_metrics_port)]
    # Their own sessions: a Ctrl-C in the terminal reaches only us, and we stop each exactly
    # once (a second SIGINT would cut `dagster dev`'s own orderly shutdown short).
    processes = {
        name: subprocess.Popen(command, env=env, start_new_session=True)
        for name, command in commands.items()
    }
    say(f"UI       http://127.0.0.1:{webserver_port}  (Ctrl-C stops everything started here)")
    say(
        "kafka    read by `genesis consume` (GENESIS_KAFKA_ENTRY=consumer)"
        if consumer
        else "kafka    read by the daemon's sensors (GENESIS_KAFKA_ENTRY=sensors)"
    )
    try:
        while not stop.wait(CHECK_INTERVAL_S):
            for name, process in processes.items():
                code = process.poll()
                if code is not None:
                    say(f"{name} exited with code {code}")
                    return code if code > 0 else 1
        say("stopping …")
        return 0
    finally:
        for process in reversed(processes.values()):
            _stop_process_group(process)


def _stop_process_group(process: "subprocess.Popen[bytes]") -> None:
    """SIGINT for an orderly shutdown, then clear what is left of the process's group.

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
