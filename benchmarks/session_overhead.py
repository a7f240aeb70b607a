"""What genesis adds on top of Dagster for one session, measured in one process.

Times, on one SQLite instance (the embedded default) with the in-process executor:
  bare     - a run of six empty partitioned assets in a chain (Dagster alone)
  skeleton - Dagster alone in the session's shape: each asset loads its upstream as an input
             through an IO manager and yields the same 18 partitioned blocking checks in its step
  session  - a whole genesis session: offline generator, gates, store, outbox, export
and prints medians and the ratios session/bare (the issue's goal: ≤ 1.3) and
session/skeleton (what genesis's own code adds to the Dagster work the session's shape needs).

    python benchmarks/session_overhead.py [--repeat 7]
    python benchmarks/session_overhead.py --once skeleton   # one run, the whole process timed

`--once` materializes one session's shape (`bare` or `skeleton`) in a fresh process on a
temporary instance and exits: the same-shaped Dagster-alone run to pair with a whole
`genesis run` (`farm-bench --vs 'python benchmarks/session_overhead.py --once skeleton' --
genesis run --premise …`).
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from genesis_pipeline.defs.resources import GeneratorResource, genesis_resources
from genesis_pipeline.defs.session_runner import run_session
from genesis_pipeline.defs.stages.partitions import genesis_sessions
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_ORDER

PREMISE = "A cartographer in a city of moving canals must map the route of a stolen bell"


def empty_chain(shaped: bool) -> list[dg.AssetsDefinition]:
    """Six empty assets; `shaped` gives them the session's inputs and checks."""
    assets = []
    previous: str | None = None
    for stage in STAGE_ORDER:
        name = f"{'shaped' if shaped else 'bare'}_{stage.value}"
        gates = ("quality", "consistency", "approval") if shaped else ()
        specs = [
            dg.AssetCheckSpec(
                f"{g}_gate", asset=name, blocking=True, partitions_def=genesis_sessions
            )
            for g in gates
        ]
        ins = {"upstream": dg.AssetIn(previous)} if shaped and previous else {}
        deps = [previous] if previous and not shaped else []

        @dg.asset(name=name, partitions_def=genesis_sessions, ins=ins, deps=deps, check_specs=specs)
        def step(context: dg.AssetExecutionContext, **_upstream: object):  # type: ignore[no-untyped-def]
            yield dg.Output(0)
            for key in context.selected_asset_check_keys:
                yield dg.AssetCheckResult(check_name=key.name, asset_key=key.asset_key, passed=True)

        assets.append(step)
        previous = name
    return assets


def dagster_alone(
    assets: list[dg.AssetsDefinition], key: str, instance: dg.DagsterInstance, io: object
) -> None:
    instance.add_dynamic_partitions(genesis_sessions.name, [key])
    dg.materialize(assets, partition_key=key, instance=instance, resources={"io_manager": io})


def timed(action: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.perf_counter()
    action(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--once", choices=["bare", "skeleton"], help="one run, then exit")
    args = parser.parse_args()
    if args.once:
        with tempfile.TemporaryDirectory() as home:
            instance = dg.DagsterInstance.local_temp(home)
            dagster_alone(empty_chain(args.once == "skeleton"), "once", instance, dg.mem_io_manager)
        return

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
            key = f"bench-{i:03d}"
            times = {
                "bare": timed(dagster_alone, bare, f"{key}-bare", instance, io),
                "skeleton": timed(dagster_alone, skeleton, f"{key}-shaped", instance, io),
                # run_session adds the session's partition itself, as dagster_alone does
                "session": timed(
                    run_session,
                    f"{key}-session",
                    SessionSpec(premise=PREMISE),
                    instance=instance,
                    resources=resources,
                ),
            }
            if i:
                for kind, seconds in times.items():
                    figures[kind].append(seconds)

    median = {kind: statistics.median(values) for kind, values in figures.items()}
    for kind, value in median.items():
        low, high = min(figures[kind]) * 1000, max(figures[kind]) * 1000
        print(f"{kind:9s} median {value * 1000:7.1f} ms  (min {low:.1f}, max {high:.1f})")
    print(
        f"ratio session/skeleton {median['session'] / median['skeleton']:.2f}  (genesis's own code)"
    )
    print(f"ratio session/bare     {median['session'] / median['bare']:.2f}  (goal ≤ 1.3)")


if __name__ == "__main__":
    main()
