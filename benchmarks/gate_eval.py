"""How well the quality and consistency gates judge the labelled evaluation set.

Reads genesis_pipeline_tests/unit/gates/eval/ by path (its README describes the format), runs both
gates over every example as the pipeline would, and prints:

  per defect kind    defects the example's gate caught with a finding on the example's field
  detection          all defects caught / all defects                (goal ≥ 95 %)
  false rejections   good examples either gate failed / good examples (goal ≤ 5 %)

    python benchmarks/gate_eval.py [--eval-set DIR] [--verbose]

`--verbose` prints the findings behind every miss and every false rejection.
Exit status 0 when both goals are met, 1 otherwise.
"""

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from genesis_pipeline.gates.eval_set import Judged, judge, load_eval_set

EVAL_SET = (
    Path(__file__).resolve().parents[1] / "genesis_pipeline_tests" / "unit" / "gates" / "eval"
)
MIN_DETECTION = 0.95
MAX_FALSE_REJECTION = 0.05


def rate(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def report(judged: list[Judged], verbose: bool) -> bool:
    """Print the figures; whether both goals are met."""
    by_kind: dict[str, list[Judged]] = defaultdict(list)
    for one in judged:
        if not one.example.good:
            by_kind[one.example.label].append(one)
    print(f"{'defect kind':24s} {'caught':>8s}  rate")
    for kind, results in sorted(by_kind.items()):
        caught = sum(one.right for one in results)
        print(f"{kind:24s} {caught:>3d} / {len(results):<3d} {rate(caught, len(results)):6.1%}")

    defects = [one for one in judged if not one.example.good]
    good = [one for one in judged if one.example.good]
    caught = sum(one.right for one in defects)
    rejected = sum(not one.right for one in good)
    detection, false_rejection = rate(caught, len(defects)), rate(rejected, len(good))
    print(
        f"\ndetection         {caught} / {len(defects)} = {detection:.1%}"
        f"  (goal ≥ {MIN_DETECTION:.0%}, {len(by_kind)} kinds)"
    )
    print(
        f"false rejections  {rejected} / {len(good)} = {false_rejection:.1%}"
        f"  (goal ≤ {MAX_FALSE_REJECTION:.0%}, "
        f"{len({one.example.premise for one in good})} premises)"
    )
    wrong = [one for one in judged if not one.right]
    for one in wrong:
        example = one.example
        expected = "pass both gates" if example.good else f"{example.gate} on {example.field}"
        print(f"\nwrong: {example.id} ({example.label}): expected {expected}")
        if verbose:
            print("  " + one.explain().replace("\n", "\n  "))
    return detection >= MIN_DETECTION and false_rejection <= MAX_FALSE_REJECTION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-set", type=Path, default=EVAL_SET)
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    judged = [judge(example) for example in load_eval_set(args.eval_set)]
    sys.exit(0 if report(judged, args.verbose) else 1)


if __name__ == "__main__":
    main()
