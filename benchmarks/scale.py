"""What the pipeline's recurring work costs as sessions accumulate: 1k, 10k, 100k sessions ever.

The production configuration (dagster-postgres and the genesis store on scratch databases of
this machine's PostgreSQL, a local broker). The population grows through `--sizes`; at each
size every session ever created is in the genesis store (the session, six approved versions
with their gate results, ten published outbox events, an inbox row), copied from the real
sessions run first (`--real`, the offline generator through Dagster), and the first real
session's history in Dagster's event index (materializations, planned events, tags, check
executions; copied in SQL). Sessions finished more than GENESIS_ARCHIVE_AFTER_DAYS ago are
archived, as the hourly archive job leaves them: no partition and no Dagster history
(`--keep-history` keeps it, as before decision 0007). The `--live` newest sessions keep their
partitions. Then it times, in this process unless noted:

  commands / feedback tick   the Kafka sensors' tick on an empty topic
  revision tick              the revision sensor's tick
  relay tick                 the outbox relay sensor's tick (nothing unsent)
  automation tick (daemon)   the automation sensor's ticks in `dagster-daemon` over
                             `--daemon-seconds` (median, longest), and the daemon's memory
  stale-prompt tick          the stale-prompt schedule's tick (every prompt current)
  archive job, 200 sessions  the archive job over 200 sessions that just became due
  consistency audit job      the nightly audit over every completed session
  genesis status             the stage table of one session
  genesis run                one new whole session, in process
  UI asset page              the webserver's partition statuses and stats of `concept` (GraphQL)
  UI check page              the webserver's partition statuses of `concept`'s checks (GraphQL)

and prints one row per measurement, one column per size (median of `--repeat` runs), with the
ratio of the largest size to the smallest. The goal (issue 13): every row within 2x.

    python benchmarks/scale.py [--sizes 1000,10000,100000] [--live 1000] [--real 3]

Building 100k sessions takes about 14 minutes (see the printed build times); the whole run
about 25.
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from genesis_pipeline.defs.automation.kafka_sensors import (
    genesis_commands_sensor,
    genesis_feedback_sensor,
)
from genesis_pipeline.defs.automation.maintenance_jobs import (
    genesis_consistency_audit_job,
    genesis_session_archive_job,
)
from genesis_pipeline.defs.automation.partition_history import forget_partitions
from genesis_pipeline.defs.automation.relay_sensor import genesis_outbox_relay_sensor
from genesis_pipeline.defs.automation.schedules import current_prompt_versions, stale_prompt_runs
from genesis_pipeline.defs.automation.sensors import genesis_revision_sensor
from genesis_pipeline.defs.resources import GeneratorResource, KafkaResource, genesis_resources
from genesis_pipeline.defs.session_runner import run_session
from genesis_pipeline.defs.stages.definitions import SESSION_ASSET_KEYS
from genesis_pipeline.defs.stages.partitions import GENESIS_SESSION_PARTITIONS
from genesis_pipeline.domain.session import SessionSpec, SessionStatus
from genesis_pipeline.messaging.local_broker import LocalBroker
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import (
    artifact_versions,
    gate_results,
    inbox,
    outbox,
    sessions,
)
from genesis_pipeline_tests.support.postgres import POSTGRES_ADMIN_URL
from genesis_pipeline_tests.support.production_stack import ProductionStack, production_stack
from genesis_pipeline_tests.support.s3_server import moto_s3_server
from genesis_pipeline_tests.support.webserver import dagster_webserver

ROOT = Path(__file__).resolve().parents[1]
PREMISE = "A lighthouse keeper on a drowned coast finds a map that redraws itself every tide"
NOW = datetime.now(UTC)
CHUNK = 2_000
OUTBOX_PER_SESSION = 10

ASSET_PAGE = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionStats { numMaterialized numPartitions numFailed numMaterializing }
  assetPartitionStatuses { ... on DefaultPartitionStatuses { materializedPartitions } } } } }"""
CHECK_PAGE = """query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  assetChecksOrError { ... on AssetChecks { checks { name partitionStatuses {
    ... on AssetCheckDefaultPartitionStatuses { succeededPartitions failedPartitions } } } } }
  } } }"""


# Every session gets the Dagster history of the template session (a real one): its asset events
# with their tags, and its check executions, pointing at the copied materializations.
_COPY = "replace({col}, '\"' || :template || '\"', '\"' || {sid} || '\"')"
_SAME_EVENT = (
    "n.partition = ANY(:sids) AND n.asset_key = o.asset_key"
    " AND n.dagster_event_type = o.dagster_event_type"
    f" AND n.event = {_COPY.format(col='o.event', sid='n.partition')}"
)
CLONE_HISTORY = [
    f"""INSERT INTO event_logs (run_id, event, dagster_event_type, timestamp, step_key, asset_key,
        partition)
    SELECT e.run_id, {_COPY.format(col="e.event", sid="s.sid")}, e.dagster_event_type,
        e.timestamp, e.step_key, e.asset_key, s.sid
    FROM event_logs e CROSS JOIN unnest(CAST(:sids AS text[])) AS s(sid)
    WHERE e.partition = :template AND e.asset_key IS NOT NULL ORDER BY s.sid, e.id""",
    f"""INSERT INTO asset_event_tags (event_id, asset_key, key, value, event_timestamp)
    SELECT n.id, t.asset_key, t.key, t.value, t.event_timestamp
    FROM asset_event_tags t JOIN event_logs o ON o.id = t.event_id AND o.partition = :template
    JOIN event_logs n ON {_SAME_EVENT}""",
    f"""INSERT INTO asset_check_executions (asset_key, check_name, partition, run_id,
        execution_status, evaluation_event, evaluation_event_timestamp,
        evaluation_event_storage_id, materialization_event_storage_id, create_timestamp)
    SELECT c.asset_key, c.check_name, n.partition, c.run_id, c.execution_status,
        {_COPY.format(col="c.evaluation_event", sid="n.partition")},
        c.evaluation_event_timestamp, c.evaluation_event_storage_id, n.id, c.create_timestamp
    FROM asset_check_executions c
    JOIN event_logs o ON o.id = c.materialization_event_storage_id
    JOIN event_logs n ON {_SAME_EVENT}
    WHERE c.partition = :template""",
]


def timed(action: Callable[[], Any], repeat: int) -> float:
    """Median seconds of `repeat` runs of `action`."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


class Population:
    """Sessions copied from the real ones into the store, and the live ones' partitions."""

    def __init__(
        self,
        store: GenesisStore,
        instance: dg.DagsterInstance,
        templates: list[str],
        *,
        keep_history: bool,
    ):
        self.store = store
        self.instance = instance
        self.keep_history = keep_history
        self.size = 0
        self.forgotten = 0  # sessions below this number have no Dagster history
        self.template = templates[0]
        self.versions, self.gates = self._template(self.template)
        self.dagster = sa.create_engine(instance.event_log_storage.postgres_url)  # type: ignore[attr-defined]

    def _template(self, session_id: str) -> tuple[list[dict], dict[int, list[dict]]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(artifact_versions)
                .where(artifact_versions.c.session_id == session_id)
                .where(artifact_versions.c.approved_by.is_not(None))
            ).mappings()
            versions = [dict(row) for row in rows]
            gates: dict[int, list[dict]] = {}
            for version in versions:
                found = conn.execute(
                    sa.select(gate_results).where(
                        gate_results.c.artifact_version_id == version["id"]
                    )
                ).mappings()
                gates[version["id"]] = [dict(g) for g in found]
        return versions, gates

    def grow_to(self, size: int, *, live: int) -> None:
        """Add sessions up to `size`; the oldest are archived and the newest `live` are not."""
        for start in range(self.size, size, CHUNK):
            self._add(range(start, min(size, start + CHUNK)))
        self.size = size
        self._settle_live(live)

    def _add(self, numbers: range) -> None:
        session_rows, version_rows, inbox_rows, outbox_rows = [], [], [], []
        for n in numbers:
            sid = f"scale-{n:06d}"
            finished = NOW - timedelta(days=40, minutes=-n)  # newer sessions, later
            session_rows.append(
                dict(
                    session_id=sid,
                    premise=PREMISE,
                    language="en",
                    review_mode="auto",
                    priority=0,
                    max_attempts=3,
                    status=SessionStatus.COMPLETED.value,
                    correlation_id=sid,
                    created_at=finished - timedelta(minutes=5),
                    updated_at=finished,
                    archived_at=finished + timedelta(days=31),
                )
            )
            for version in self.versions:
                version_rows.append(
                    {**version, "id": None, "session_id": sid, "created_at": finished}
                )
            inbox_rows.append(
                dict(event_id=f"in-{sid}", event_type="genesis.session.requested",
                     session_id=sid, received_at=finished)
            )  # fmt: skip
            for k in range(OUTBOX_PER_SESSION):
                outbox_rows.append(
                    dict(event_id=f"out-{sid}-{k}", event_type="genesis.stage.started",
                         session_id=sid, fact_key=f"scale:{sid}:{k}", envelope={},
                         created_at=finished, sent_at=finished)
                )  # fmt: skip
        with self.store.engine.begin() as conn:
            conn.execute(sa.insert(sessions), session_rows)
            for row in version_rows:
                row.pop("id")
            ids = conn.execute(
                sa.insert(artifact_versions).returning(artifact_versions.c.id),
                version_rows,
                ).scalars().all()  # fmt: skip
            gate_rows = [
                {**gate, "id": None, "artifact_version_id": new_id}
                for new_id, template in zip(ids, self.versions * len(numbers), strict=True)
                for gate in self.gates[template["id"]]
            ]
            for row in gate_rows:
                row.pop("id")
            conn.execute(sa.insert(gate_results), gate_rows)
            conn.execute(sa.insert(inbox), inbox_rows)
            conn.execute(sa.insert(outbox), outbox_rows)
        with self.dagster.begin() as conn:
            for statement in CLONE_HISTORY:
                conn.execute(
                    sa.text(statement),
                    {"template": self.template, "sids": [f"scale-{n:06d}" for n in numbers]},
                )

    def _settle_live(self, live: int) -> None:
        """The newest `live` sessions finished yesterday and keep their partitions."""
        newest = [f"scale-{n:06d}" for n in range(max(0, self.size - live), self.size)]
        yesterday = NOW - timedelta(days=1)
        with self.store.engine.begin() as conn:
            conn.execute(
                sa.update(sessions)
                .where(sessions.c.session_id.like("scale-%"))
                .where(sessions.c.archived_at.is_(None))
                .where(sessions.c.session_id.not_in(newest))
                .values(archived_at=NOW, updated_at=NOW - timedelta(days=40))
            )
            conn.execute(
                sa.update(sessions)
                .where(sessions.c.session_id.in_(newest))
                .values(archived_at=None, updated_at=yesterday)
            )
        have = set(self.instance.get_dynamic_partitions(GENESIS_SESSION_PARTITIONS))
        gone = [sid for sid in sorted(have - set(newest)) if sid.startswith("scale-")]
        for sid in gone:
            self.instance.delete_dynamic_partition(GENESIS_SESSION_PARTITIONS, sid)
        if not self.keep_history:  # as the archive job leaves them: no Dagster history either
            archived = [f"scale-{n:06d}" for n in range(self.forgotten, self.size - live)]
            for start in range(0, len(archived), CHUNK):
                batch = archived[start : start + CHUNK]
                forget_partitions(self.instance, SESSION_ASSET_KEYS, batch)
            self.forgotten = max(self.forgotten, self.size - live)
        self.instance.add_dynamic_partitions(
            GENESIS_SESSION_PARTITIONS, [sid for sid in newest if sid not in have]
        )
        # What autovacuum does over the months the hourly archive takes to delete as much:
        # without it, every read walks the dead rows of the bulk build.
        for engine in (self.dagster, self.store.engine):
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")

    def make_due(self, count: int) -> None:
        """`count` live sessions become due for the archive (finished 40 days ago)."""
        with self.store.engine.begin() as conn:
            due = conn.execute(
                sa.select(sessions.c.session_id)
                .where(sessions.c.archived_at.is_(None))
                .where(sessions.c.session_id.like("scale-%"))
                .order_by(sessions.c.session_id)
                .limit(count)
            ).scalars().all()  # fmt: skip
            conn.execute(
                sa.update(sessions)
                .where(sessions.c.session_id.in_(due))
                .values(updated_at=NOW - timedelta(days=40))
            )


def graphql(url: str, query: str) -> dict[str, Any]:
    body = json.dumps({"query": query, "variables": {"key": {"path": ["concept"]}}}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        answer: dict[str, Any] = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(f"GraphQL errors: {answer['errors']}")
    return answer


def daemon_automation(stack: ProductionStack, seconds: float) -> dict[str, float]:
    """The automation sensor's ticks in the real daemon over `seconds` (median and longest),
    and the daemon's resident memory at the end."""
    since = time.time()
    stack.start_daemon()
    try:
        time.sleep(seconds)
        assert stack.daemon is not None
        rss_mb = vm_rss_kb(stack.daemon.pid) / 1024
        durations = [
            tick.end_timestamp - tick.timestamp
            for state in stack.instance.all_instigator_state()
            if state.instigator_name == "genesis_automation_sensor"
            for tick in stack.instance.get_ticks(
                state.instigator_origin_id, state.selector_id, after=since
            )
            if tick.end_timestamp
        ]
    finally:
        stack.stop_daemon()
    nan = float("nan")
    return {
        "automation tick (daemon), median": statistics.median(durations) if durations else nan,
        "automation tick (daemon), longest": max(durations) if durations else nan,
        "daemon RSS (MB)": rss_mb,
    }


def vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, resources: dict) -> None:
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        sensor(context)


def measure(
    population: Population,
    instance: dg.DagsterInstance,
    resources: dict[str, Any],
    url: str,
    repeat: int,
) -> dict[str, float]:
    store = population.store
    only_store = {"genesis_store": resources["genesis_store"]}
    prompts = current_prompt_versions()
    newest = f"scale-{population.size - 1:06d}"
    figures = {
        "commands tick": timed(lambda: tick(genesis_commands_sensor, instance, resources), repeat),
        "feedback tick": timed(lambda: tick(genesis_feedback_sensor, instance, resources), repeat),
        "revision tick": timed(lambda: tick(genesis_revision_sensor, instance, resources), repeat),
        "relay tick": timed(lambda: tick(genesis_outbox_relay_sensor, instance, resources), repeat),
        "stale-prompt tick": timed(
            lambda: stale_prompt_runs(
                instance, store, prompts, batch_size=10, default_budget=10**6
            ),
            repeat,
        ),
        "genesis status": timed(lambda: store.stage_rows(newest), repeat),
        "UI asset page": timed(lambda: graphql(url, ASSET_PAGE), repeat),
        "UI check page": timed(lambda: graphql(url, CHECK_PAGE), repeat),
    }
    runs = iter(range(10_000))
    figures["genesis run"] = timed(
        lambda: run_session(
            f"run-{population.size}-{next(runs)}",
            SessionSpec(premise=PREMISE),
            instance=instance,
            resources=resources,
            log_level="WARNING",
        ),
        repeat,
    )
    population.make_due(200)

    def archive() -> None:
        config = {"ops": {"archive_finished_sessions": {"config": {"older_than_days": 30}}}}
        result = genesis_session_archive_job.execute_in_process(
            instance=instance, resources=only_store, run_config=config
        )
        assert result.success

    figures["archive job, 200 sessions"] = timed(archive, 1)
    figures["consistency audit job"] = timed(
        lambda: genesis_consistency_audit_job.execute_in_process(
            instance=instance, resources=only_store
        ),
        1,
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--live", type=int, default=1000, help="sessions with a partition")
    parser.add_argument("--real", type=int, default=3, help="whole sessions run for real first")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--daemon-seconds", type=float, default=90)
    parser.add_argument(
        "--keep-history",
        action="store_true",
        help="archived sessions keep their Dagster history (as before decision 0007)",
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    broker = LocalBroker().start()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="genesis-scale-") as workdir,
            moto_s3_server() as s3_endpoint,
            production_stack(
                Path(workdir),
                postgres_admin_url=POSTGRES_ADMIN_URL,
                kafka_bootstrap=broker.bootstrap,
                s3_endpoint=s3_endpoint,
            ) as stack,
        ):
            resources = genesis_resources(
                database_url=stack.env["GENESIS_DATABASE_URL"],
                export_uri=stack.env["GENESIS_EXPORT_URI"],
                generator=GeneratorResource(provider="offline", offline_flaw_rate=0.0),
                quality_threshold=0.75,
                kafka=KafkaResource(
                    bootstrap=broker.bootstrap,
                    topic_prefix=stack.env["GENESIS_TOPIC_PREFIX"],
                    idempotence=False,
                ),
            )
            instance = stack.instance
            started = time.perf_counter()
            real = [f"real-{n}" for n in range(args.real)]
            for sid in real:
                run = run_session(
                    sid, SessionSpec(premise=PREMISE), instance=instance,
                    resources=resources, log_level="WARNING",
                )  # fmt: skip
                assert run.status is SessionStatus.COMPLETED, run
            print(f"{args.real} real sessions in {time.perf_counter() - started:.0f} s", flush=True)
            population = Population(stack.store, instance, real, keep_history=args.keep_history)
            rows: dict[int, dict[str, float]] = {}
            with dagster_webserver(stack.home, stack.env) as url:
                for size in sizes:
                    started = time.perf_counter()
                    population.grow_to(size, live=args.live)
                    built = time.perf_counter() - started
                    print(f"{size:,} sessions built in {built:.0f} s", flush=True)
                    rows[size] = daemon_automation(stack, args.daemon_seconds)
                    rows[size] |= measure(population, instance, resources, url, args.repeat)
                    print(json.dumps({k: round(v, 3) for k, v in rows[size].items()}), flush=True)
    finally:
        broker.stop()

    names = list(rows[sizes[0]])
    header = [
        "seconds (median), unless noted",
        *(f"{size:,}" for size in sizes),
        f"{sizes[-1]:,} / {sizes[0]:,}",
    ]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in names:
        values = [rows[size][name] for size in sizes]
        ratio = values[-1] / values[0] if values[0] else float("nan")
        print(f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {ratio:.2f}× |")
    print(f"\nlive partitions: {args.live}; sessions with a real materialization: {args.real}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
