"""`genesis consume` as operators run it: a Dagster webserver to submit runs to (no daemon, so
the runs stay queued where the tests can count them), the consumer processes, the real broker."""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from genesis_pipeline.messaging.kafka import KafkaConfig
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline_tests.support.webserver import dagster_webserver

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Webserver:
    home: Path
    url: str
    database_url: str


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    database_url = f"sqlite:///{home / 'genesis.db'}"
    GenesisStore(database_url)  # migrated once, before consumers that start together open it
    with dagster_webserver(home, {"GENESIS_DATABASE_URL": database_url}) as url:
        yield Webserver(home=home, url=url, database_url=database_url)


@dataclass
class Consumers:
    """`genesis consume` processes on one webserver, one genesis store and one set of topics."""

    webserver: Webserver
    kafka: KafkaConfig
    group: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    @property
    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.webserver.home))

    @property
    def store(self) -> GenesisStore:
        return GenesisStore(self.webserver.database_url)

    def start(self, *, metrics_port: int | None = None) -> subprocess.Popen[bytes]:
        log = self.webserver.home / f"consumer-{self.group}-{len(self.processes)}.log"
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.webserver.home),
            "GENESIS_DATABASE_URL": self.webserver.database_url,
            "GENESIS_KAFKA_ENTRY": "consumer",
            "GENESIS_KAFKA_BOOTSTRAP": self.kafka.bootstrap,
            "GENESIS_TOPIC_PREFIX": self.kafka.topic_prefix,
            "GENESIS_KAFKA_IDEMPOTENCE": "false",
            "GENESIS_CONSUMER_GROUP": self.group,
            "GENESIS_DAGSTER_URL": self.webserver.url,
            "COLUMNS": "400",  # one line per log line
        }
        command = [sys.executable, "-m", "genesis_pipeline.cli", "consume"]
        if metrics_port is not None:
            command += ["--metrics-port", str(metrics_port)]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        self.logs.append(log)
        return process

    def output(self, index: int) -> str:
        return self.logs[index].read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def consumers(webserver: Webserver, kafka: KafkaConfig) -> Iterator[Consumers]:
    group = f"group-{kafka.topic_prefix.strip('.')}"
    started = Consumers(webserver=webserver, kafka=kafka, group=group)
    try:
        yield started
    finally:
        started.stop_all()
