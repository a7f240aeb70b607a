"""What genesis adds on top of Dagster for one session, measured in one process.

Times, on one SQLite instance (the embedded default) with the in-process executor:
  bare     - a run of six empty partitioned assets in a chain (Dagster alone)
  skeleton - the same six assets with the same 12 blocking checks, evaluated in-step
  session  - a whole genesis session: offline generator, gates, store, outbox, export
and prints medians and the ratios session/bare and session/skeleton (goal: ≤ 1.3).

    python benchmarks/session_overhead.py [--repeat 7]
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_ORDER
from genesis_pipeline.generation.resources import GeneratorResource
from genesis_pipeline.resources import genesis_resources
from genesis_pipeline.session_runner import run_session
from genesis_pipeline.stages.partitions import genesis_sessions

PREMISE = "A cartographer in a city of moving canals must map the route of a stolen bell"


def empty_chain(with_checks: bool) -> list[dg.AssetsDefinition]:
    assets = []
    previous: str | None = None
    for stage in STAGE_ORDER:
        name = f"bare_{stage.value}"
        specs = (
            [
                dg.AssetCheckSpec(f"{gate}_gate", asset=name, blocking=True)
                for gate in ("quality", "consistency")
            ]
            if with_checks
            else []
        )

        @dg.asset(
            name=name,
            partitions_def=genesis_sessions,
            deps=[previous] if previous else [],
            check_specs=specs,
        )
        def step(context: dg.AssetExecutionContext):  # type: ignore[no-untyped-def]
            yield dg.Output(None)
            for key in context.selected_asset_check_keys:
                yield dg.AssetCheckResult(check_name=key.name, asset_key=key.asset_key, passed=True)

        assets.append(step)
        previous = name
    return assets


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as home:
        instance = dg.DagsterInstance.local_temp(home)
        resources = genesis_resources(
            database_url=f"sqlite:///{Path(home) / 'genesis.db'}",
            export_uri=str(Path(home) / "exports"),
            generator=GeneratorResource(provider="offline", offline_flaw_rate=0.0),
        )
        bare, skeleton = empty_chain(False), empty_chain(True)
        io = (
            dg.mem_io_manager
        )  # the bare runs store nothing; the session stores in the genesis store
        figures: dict[str, list[float]] = {"bare": [], "skeleton": [], "session": []}
        for i in range(args.repeat + 1):  # the first round warms imports and caches
            keys = [f"bench-{kind}-{i:03d}" for kind in figures]
            instance.add_dynamic_partitions(genesis_sessions.name, keys[:2])
            times = {
                "bare": timed(
                    lambda: dg.materialize(
                        bare, partition_key=keys[0], instance=instance, resources={"io_manager": io}
                    )
                ),
                "skeleton": timed(
                    lambda: dg.materialize(
                        skeleton,
                        partition_key=keys[1],
                        instance=instance,
                        resources={"io_manager": io},
                    )
                ),
                "session": timed(
                    lambda: run_session(
                        keys[2],
                        SessionSpec(premise=PREMISE),
                        instance=instance,
                        resources=resources,
                    )
                ),
            }
            if i:
                for kind, seconds in times.items():
                    figures[kind].append(seconds)

    median = {kind: statistics.median(values) for kind, values in figures.items()}
    for kind, value in median.items():
        print(
            f"{kind:9s} median {value * 1000:7.1f} ms  (min {min(figures[kind]) * 1000:.1f}, max {max(figures[kind]) * 1000:.1f}) over {args.repeat} runs"
        )
    print(f"ratio session/skeleton {median['session'] / median['skeleton']:.2f}  (goal ≤ 1.3)")
    print(
        f"ratio session/bare     {median['session'] / median['bare']:.2f}  (Dagster's 12 check evaluations included)"
    )


if __name__ == "__main__":
    main()
