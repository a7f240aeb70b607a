"""Whole sessions on a real language model: where the time goes and how often the gates pass.

Runs N sessions (default 3, one premise each) through Dagster in this process, as
`genesis run --llm local` does, on the local provider: llama.cpp's server with the packaged
SmolLM2-135M-Instruct, or any GGUF file given with --model. Prints per stage: sessions that
reached it, attempts, wall time, tokens in/out, tokens/s, gate pass rate on the first attempt
and after revisions, fresh restarts and early stops of the revision loop; then per session the
share of wall time spent outside the model (orchestration, gates, store).

    python benchmarks/real_model.py [--sessions 3] [--max-attempts 3] [--model PATH] [--keep DIR]
"""

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from genesis_pipeline.defs.resources import GeneratorResource, genesis_resources
from genesis_pipeline.defs.session_runner import run_session
from genesis_pipeline.domain.events import Envelope
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.stages import STAGE_ORDER, Stage
from genesis_pipeline.generation.local_model import LocalModelServer, resolve_model_path
from genesis_pipeline.store.genesis_store import GenesisStore

PREMISES = (
    "A disgraced detective in 1920s Shanghai investigates murders that mirror a forgotten opera",
    "The map she drew as a child is slowly becoming true",
    "A lighthouse keeper finds a map that redraws itself every tide",
    "Two rival beekeepers must save the last hive in a poisoned valley",
    "An astronaut returns to Earth to find her village has aged a hundred years",
)


@dataclass
class StageFigures:
    sessions: int = 0
    attempts: int = 0
    first_passed: int = 0
    passed: int = 0
    fresh: int = 0
    stopped_early: int = 0
    wall_s: float = 0.0
    model_s: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass
class SessionFigures:
    session_id: str
    status: str
    wall_s: float
    model_s: float
    stages: dict[Stage, StageFigures] = field(default_factory=dict)


def measure(session_id: str, events: list[Envelope], status: str, wall_s: float) -> SessionFigures:
    figures = SessionFigures(session_id, status, wall_s, 0.0)
    started: dict[Stage, float] = {}
    for event in events:
        kind = event.event_type.removeprefix("genesis.")
        stage_id = event.payload.get("stage")
        if stage_id is None:
            continue
        stage = Stage(stage_id)
        row = figures.stages.setdefault(stage, StageFigures(sessions=1))
        at = event.occurred_at.timestamp()
        if kind == "stage.started":
            started[stage] = at
            row.attempts += 1
        elif kind == "agent.task.completed":
            row.model_s += event.payload["latency_ms"] / 1000
            row.tokens_in += event.payload["tokens_in"]
            row.tokens_out += event.payload["tokens_out"]
        elif kind == "consistency.check.completed":
            row.wall_s += at - started.get(stage, at)
        elif kind == "stage.completed":
            row.passed = 1
            row.first_passed = int(row.attempts == 1)
        elif kind == "stage.rewrite_requested" and event.payload.get("strategy") == "fresh":
            row.fresh += 1
        elif kind == "stage.failed" and "stopped early" in event.payload.get("message", ""):
            row.stopped_early += 1
    figures.model_s = sum(row.model_s for row in figures.stages.values())
    return figures


def run_all(
    server: LocalModelServer, count: int, max_attempts: int, keep: str
) -> list[SessionFigures]:
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        home = keep or scratch
        instance = dg.DagsterInstance.local_temp(home)
        database_url = f"sqlite:///{Path(home) / 'genesis.db'}"
        resources = genesis_resources(
            database_url=database_url,
            export_uri=str(Path(home) / "exports"),
            generator=GeneratorResource(
                provider="local", base_url=server.base_url, model=server.model_alias
            ),
        )
        store = GenesisStore(database_url)
        for index in range(count):
            premise = PREMISES[index % len(PREMISES)]
            session_id = f"real-{index:02d}"
            print(f"session {session_id}: {premise}", flush=True)
            began = time.perf_counter()
            outcome = run_session(
                session_id,
                SessionSpec(premise=premise, max_attempts=max_attempts),
                instance=instance,
                resources=resources,
                log_level="CRITICAL",
            )
            wall = time.perf_counter() - began
            with store.read() as r:
                events = r.outbox.for_session(session_id)
            figures = measure(session_id, events, outcome.status.value, wall)
            print(f"  {figures.status} after {wall:.0f} s", flush=True)
            results.append(figures)
    return results


def report(results: list[SessionFigures]) -> None:
    totals: dict[Stage, StageFigures] = defaultdict(StageFigures)
    for session in results:
        for stage, row in session.stages.items():
            total = totals[stage]
            for name in vars(row):
                setattr(total, name, getattr(total, name) + getattr(row, name))
    print(
        f"\n{'stage':13s} {'sessions':>8s} {'attempts':>8s} {'wall s':>7s} {'model s':>7s} "
        f"{'tok in':>7s} {'tok out':>7s} {'tok/s':>6s} {'1st pass':>8s} {'passed':>6s} "
        f"{'fresh':>5s} {'early':>5s}"
    )
    for stage in STAGE_ORDER:
        if stage not in totals:
            continue
        row = totals[stage]
        rate = row.tokens_out / row.model_s if row.model_s else 0.0
        print(
            f"{stage.value:13s} {row.sessions:8d} {row.attempts:8d} {row.wall_s:7.1f} "
            f"{row.model_s:7.1f} {row.tokens_in:7d} {row.tokens_out:7d} {rate:6.1f} "
            f"{row.first_passed / row.sessions:8.0%} {row.passed / row.sessions:6.0%} "
            f"{row.fresh:5d} {row.stopped_early:5d}"
        )
    print()
    for session in results:
        outside = 1 - session.model_s / session.wall_s if session.wall_s else 0.0
        print(
            f"{session.session_id}: {session.status:15s} wall {session.wall_s:6.1f} s, "
            f"model {session.model_s:6.1f} s, outside the model {outside:.1%}"
        )
    shares = [1 - s.model_s / s.wall_s for s in results if s.wall_s]
    print(f"outside the model, median over sessions: {statistics.median(shares):.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--model", default="", help="a GGUF file (default: the packaged model)")
    parser.add_argument(
        "--keep", default="", help="a folder to keep the instance and genesis store in (drafts)"
    )
    args = parser.parse_args()
    began = time.perf_counter()
    with LocalModelServer(resolve_model_path(args.model)) as server:
        print(f"model {server.model_alias} ready in {time.perf_counter() - began:.1f} s")
        results = run_all(server, args.sessions, args.max_attempts, args.keep)
    report(results)


if __name__ == "__main__":
    main()
