"""What a session spends: tokens and cost per session and per stage attempt, read from the
store's record of every model call (`generation_calls`), and the budget a session with every
attempt used would need.

Runs N whole sessions in this process, as `genesis run` does, on the offline generator (with
`--flaw-rate`, first drafts fail a gate and are revised) or on the local model (llama.cpp with
the packaged SmolLM2-135M, or `--model PATH`). Cost is priced twice: by GENESIS_MODEL_PRICES
(the local and offline models have no price: 0), and at a reference price (`--reference`,
USD per million input/output tokens; default gpt-4o-mini's list price) to show the scale.

    python benchmarks/session_cost.py --llm offline [--sessions 5] [--flaw-rate 0.5]
    python benchmarks/session_cost.py --llm local [--sessions 2] [--max-attempts 3]
"""

import argparse
import contextlib
import statistics
import tempfile
from collections import defaultdict
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from real_model import PREMISES  # the same premises as the real-model benchmark

from genesis_pipeline.defs.resources import GeneratorResource, genesis_resources
from genesis_pipeline.defs.session_runner import run_session
from genesis_pipeline.domain.session import SessionSpec
from genesis_pipeline.domain.spending import ModelPrice, call_cost
from genesis_pipeline.domain.stages import STAGE_ORDER
from genesis_pipeline.store.genesis_store import GenesisStore
from genesis_pipeline.store.tables import generation_calls


def generator(args: argparse.Namespace, stack: contextlib.ExitStack) -> GeneratorResource:
    if args.llm == "offline":
        return GeneratorResource(provider="offline", offline_flaw_rate=args.flaw_rate)
    from genesis_pipeline.generation.local_model import LocalModelServer, resolve_model_path

    server = stack.enter_context(LocalModelServer(resolve_model_path(args.model)))
    return GeneratorResource(provider="local", base_url=server.base_url, model=server.model_alias)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--llm", choices=["offline", "local"], default="offline")
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--flaw-rate", type=float, default=0.5, help="offline only")
    parser.add_argument("--model", default="", help="local: a GGUF file")
    parser.add_argument("--reference", default="0.15,0.6", metavar="IN,OUT")
    args = parser.parse_args()
    price_in, price_out = (float(x) for x in args.reference.split(","))
    reference = ModelPrice(input=price_in, output=price_out)

    with contextlib.ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = f"sqlite:///{home / 'genesis.db'}"
        resources = genesis_resources(
            database_url=url,
            export_uri=str(home / "exports"),
            generator=generator(args, stack),
        )
        instance = stack.enter_context(dg.DagsterInstance.local_temp(str(home)))
        store = GenesisStore(url)
        for index in range(args.sessions):
            spec = SessionSpec(
                premise=PREMISES[index % len(PREMISES)],
                max_attempts=args.max_attempts,
                budget_tokens=10**9,  # measured, not limited
            )
            outcome = run_session(
                f"cost-{index:02d}", spec, instance=instance, resources=resources,
                log_level="CRITICAL",
            )  # fmt: skip
            print(f"cost-{index:02d}: {outcome.status.value}", flush=True)
        with store.engine.connect() as conn:
            calls = conn.execute(sa.select(generation_calls)).mappings().all()

    sessions: dict[str, list] = defaultdict(list)
    attempts: dict[tuple[str, str, int], int] = defaultdict(int)
    for call in calls:
        sessions[call["session_id"]].append(call)
        key = (call["session_id"], call["stage"], call["attempt"])
        attempts[key] += call["tokens_in"] + call["tokens_out"]

    print(f"\n{args.llm}, {len(sessions)} session(s), max_attempts {args.max_attempts}")
    print(f"{'session':10s} {'calls':>5s} {'tok in':>8s} {'tok out':>8s} {'tokens':>8s} "
          f"{'priced $':>9s} {'at ref $':>9s}")  # fmt: skip
    totals = []
    for sid, rows in sorted(sessions.items()):
        tokens_in = sum(r["tokens_in"] for r in rows)
        tokens_out = sum(r["tokens_out"] for r in rows)
        priced = sum(r["cost_usd"] for r in rows)
        at_reference = call_cost({"m": reference}, "m", tokens_in, tokens_out).usd
        totals.append(tokens_in + tokens_out)
        print(f"{sid:10s} {len(rows):5d} {tokens_in:8d} {tokens_out:8d} "
              f"{tokens_in + tokens_out:8d} {priced:9.4f} {at_reference:9.4f}")  # fmt: skip
    print(f"tokens per session: median {statistics.median(totals):,.0f}, max {max(totals):,}")

    print(f"\n{'stage':13s} {'attempts':>8s} {'median/attempt':>15s} {'max/attempt':>12s}")
    worst = 0
    for stage in STAGE_ORDER:
        per_attempt = [t for (_, s, _), t in attempts.items() if s == stage.value]
        if not per_attempt:
            continue
        worst += max(per_attempt) * args.max_attempts
        print(f"{stage.value:13s} {len(per_attempt):8d} {statistics.median(per_attempt):15,.0f} "
              f"{max(per_attempt):12,}")  # fmt: skip
    print(
        f"every stage at its costliest attempt, {args.max_attempts} attempts each: {worst:,} "
        "tokens (stages no session reached are not counted)"
    )


if __name__ == "__main__":
    main()
