"""How often does the gradient checker flag a correct op? Not a test (it takes minutes): run

    python tests/measure_false_alarms.py --examples 2000 --seeds 10

It checks every installed op (the builtins and the example plugin) and the correct user ops of
`tests/user_ops.py`, each with `--seeds` seeds (0, 1, ...) of `--examples` examples, at the
default magnitudes, at large ones (1 to 1e8) and at huge ones (1e7 to 1e15), and prints how
many runs flagged each op, with the report of any that did, and how many derivatives were
inconclusive (float precision does not determine them there). `--ops a,b` restricts the ops.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from user_ops import USER_OPS

from micrograd_core import registry
from micrograd_core.testing import check_op

MAGNITUDES = {"default": (1e-12, 1e6), "large": (1.0, 1e8), "huge": (1e7, 1e15)}


def _one(job: tuple[str, int, int, str]) -> tuple[str, str, int, bool, int, int, str]:
    name, seed, examples, scale = job
    low, high = MAGNITUDES[scale]
    with registry.temporary(*USER_OPS):
        try:
            r = check_op(
                name,
                max_examples=examples,
                seed=seed,
                min_magnitude=low,
                max_magnitude=high,
                raise_on_failure=False,
            )
        except ValueError as exc:  # a domain with no point at these magnitudes (asin at >= 1)
            return name, scale, seed, True, 0, 0, f"not applicable: {exc}"
    flagged = not r.ok and r.failure is not None and r.failure.kind != "no usable examples"
    checked = r.examples - r.skipped
    return name, scale, seed, not flagged, checked, r.inconclusive, r.report() if flagged else ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--ops", default="", help="comma-separated op names (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with registry.temporary(*USER_OPS):
        names = args.ops.split(",") if args.ops else registry.names()
    jobs = [
        (name, seed, args.examples, scale)
        for name in names
        for scale in MAGNITUDES
        for seed in range(args.seeds)
    ]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        results = list(pool.map(_one, jobs))
    elapsed = time.perf_counter() - start
    flagged = [r for r in results if not r[3]]
    checked, inconclusive = sum(r[4] for r in results), sum(r[5] for r in results)
    head = f"{'op':<14} {'magnitudes':<10} {'runs':>5} {'flagged':>8} {'inputs checked':>15}"
    print(f"{head} {'inconclusive':>13}")
    for name in names:
        for scale in MAGNITUDES:
            rows = [r for r in results if r[0] == name and r[1] == scale]
            bad = sum(1 for r in rows if not r[3])
            n, m = sum(r[4] for r in rows), sum(r[5] for r in rows)
            print(f"{name:<14} {scale:<10} {len(rows):>5} {bad:>8} {n:>15} {m:>13}")
    print(
        f"\n{len(names)} ops x {len(MAGNITUDES)} magnitude ranges x {args.seeds} seeds x "
        f"{args.examples} examples: {len(flagged)} of {len(results)} runs flagged, "
        f"{checked} inputs checked ({inconclusive} derivatives inconclusive within float "
        f"precision), {elapsed:.0f} s"
    )
    for r in flagged:
        print(f"\n--- {r[0]} ({r[1]} magnitudes, seed {r[2]})\n{r[6]}")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
