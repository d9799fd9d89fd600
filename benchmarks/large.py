"""The larger workload: 1,000 moons, MLP(2, [64, 64, 1]), the demo's loss and SGD step.

Eager builds 272,841 nodes a step there and compiled numpy runs each layer as a matrix product;
PyTorch (float64, one thread, vectorised) is the reference every ratio is taken against, in the
same rounds. Each engine runs in its own process (`benchmarks.workload`), so its peak RSS is its
own: trace + compile included for the compiled one. The pure-Python executor is not run here:
it has no matrix product, and its compile keeps one gradient edge per weight and sample (16.5
million). `python -m benchmarks.large [--quick]` runs it alone.
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from .engines import STEP, TORCH, Engine, per_round, ratio, split

SAMPLES, HIDDEN = 1000, "64,64"


def main(quick: bool = False) -> None:
    samples, hidden = (200, "32,32") if quick else (SAMPLES, HIDDEN)
    rounds = 2 if quick else 5
    steps = rounds * (2 if quick else 6)
    print(f"## Larger workload: {samples:,} moons, MLP 2-{hidden.replace(',', '-')}-1\n")
    configs = [
        ("micrograd-core eager", "eager", rounds),
        ("micrograd-core compiled (numpy)", "compiled-numpy", steps),
        (STEP, "compiled-numpy-step", steps),
        (TORCH, "torch", steps),
    ]
    engines = []
    for label, engine, n in configs:
        print(f"  starting {label} ...", file=sys.stderr, flush=True)
        engines.append(Engine(engine, "default", n, samples, hidden))
    parts = [split(n, rounds) for *_, n in configs]
    for r in range(rounds):
        for e, part in zip(engines, parts):
            e.steps(part[r])
    results: list[tuple[str, dict[str, Any]]] = []
    for (label, _, _), e, part in zip(configs, engines, parts):
        res = e.result()
        if "times" in res:
            res["rounds"] = part
        results.append((label, res))
    steps_of = {label: per_round(r) for label, r in results if "times" in r}
    reference = steps_of.get(TORCH)
    print(
        "| engine | trace + compile | s/step | x vs PyTorch per step | peak RSS | loss at step 0 |"
    )
    print("|---|---|---|---|---|---|")
    for label, r in results:
        if "times" not in r:
            print(f"| {label} | {r.get('missing', 'not run')} |||||")
            continue
        build = r.get("compile_seconds")
        build_s = f"{build:.2f} s" if build else "-"
        against = ratio(reference, steps_of[label]) if label != TORCH else "1.0x"
        print(
            f"| {label} | {build_s} | {statistics.median(r['times']):.3g} | {against} "
            f"| {r['peak_rss_kib'] / 1024:.0f} MiB | {r['losses'][0]!r} |"
        )
    if reference is None:
        print(f"\nPyTorch: skipped ({results[-1][1].get('missing', 'not run')})")
    print(
        f"\n{rounds} rounds; x vs PyTorch: the median over rounds of PyTorch's step time over the "
        "engine's in the same round (below 1.0x: slower than PyTorch), with the range.\n"
    )


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
