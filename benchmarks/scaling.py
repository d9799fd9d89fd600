"""Scaling: time per node of eager and compiled mode from 1e3 to 1e6 nodes.

Three graph families: a chain (`v = v * c + d`, each node depends on the previous one: the
deepest graph possible), one sum over n inputs (the widest), and the demo MLP on n/383 samples
(a realistic mix; n/383 keeps the sizes those of the tables before the engine rework, when compile
traced a mul per weight; now eager and compile both keep a neuron as one `dot` node, 79 nodes
per sample, and the numpy executor runs each layer as a matrix product). Eager is build +
backward; compiled is trace + compile once (for each executor), then the median of replays
(forward + backward). The slope of log(time) against log(nodes) (for the MLP: log(samples)) is
printed for every column: 1.0 is linear growth. `python -m benchmarks.scaling [--quick]` runs
it alone.
"""

from __future__ import annotations

import gc
import math
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial

from micrograd_core import Program, Value, apply, compile, topological_order
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP


def chain(n: int) -> Callable[[], Value]:
    x, c, d = Value(1.0), Value(0.999), Value(0.001)

    def fn() -> Value:
        v = x
        for _ in range(n // 2):
            v = v * c + d
        return v

    return fn


def wide_sum(n: int) -> Callable[[], Value]:
    xs = [Value(float(i % 7)) for i in range(n)]
    return lambda: apply("sum", *xs)


def _samples(n: int) -> int:
    return max(2, n // 383)


def mlp(n: int) -> Callable[[], Value]:
    X, y = make_moons(_samples(n), 0.1, 1337)
    model = MLP(2, [16, 16, 1])
    return lambda: demo_loss(model, X, y)[0]


def _time(fn: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _replay(program: Program) -> None:
    program.forward()
    program.backward()


def _slope(points: list[tuple[int, float]]) -> float:
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def run(
    family: str,
    make: Callable[[int], Callable[[], Value]],
    sizes: list[int],
    compiled_max: int,
    per_sample: bool = False,
) -> None:
    """One table. `per_sample`: the slopes are against the number of samples, not of nodes (the
    demo MLP's nodes differ in cost: 339 cheap regularisation muls, then a 33-input dot per
    neuron per sample, so time per node grows towards the dot's cost at small sizes)."""
    rows: dict[str, list[tuple[int, float]]] = {
        "eager": [],
        "replay (python)": [],
        "replay (numpy)": [],
        "trace+compile (python)": [],
        "trace+compile (numpy)": [],
    }
    print(f"\n{family}: microseconds per node (CPU time)")
    print(
        "| nodes (eager) | eager build+backward | nodes (compiled) | trace+compile (python) "
        "| trace+compile (numpy) | replay (python) | replay (numpy) |"
    )
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        fn = make(n)
        root = fn()
        nodes = len(topological_order(root))
        del root
        eager = _time(lambda fn=fn: fn().backward())  # type: ignore[misc]
        size = _samples(n) if per_sample else nodes
        rows["eager"].append((size, eager))
        cells = [f"{nodes:,}", f"{eager / nodes * 1e6:.2f}"]
        if n <= compiled_max:
            t0 = time.process_time()
            program = compile(fn)
            build = time.process_time() - t0
            traced = program.nodes
            replay = statistics.median(_time(partial(_replay, program)) for _ in range(3))
            del program
            t0 = time.process_time()
            numpy = compile(fn, executor="numpy")
            build_np = time.process_time() - t0
            replay_np = statistics.median(_time(partial(_replay, numpy)) for _ in range(3))
            del numpy
            size = _samples(n) if per_sample else traced
            rows["trace+compile (python)"].append((size, build))
            rows["trace+compile (numpy)"].append((size, build_np))
            rows["replay (python)"].append((size, replay))
            rows["replay (numpy)"].append((size, replay_np))
            cells += [
                f"{traced:,}",
                f"{build / traced * 1e6:.2f}",
                f"{build_np / traced * 1e6:.2f}",
                f"{replay / traced * 1e6:.3f}",
                f"{replay_np / traced * 1e6:.3f}",
            ]
        else:
            cells += ["(skipped: see --full)"] * 5
        print("| " + " | ".join(cells) + " |", flush=True)
    slopes = ", ".join(f"{k} {_slope(v):.2f}" for k, v in rows.items() if len(v) > 1)
    unit = "samples" if per_sample else "nodes"
    print(f"slope of log(time) vs log({unit}) (1.00 = linear): {slopes}")


def main(quick: bool = False, full: bool = False) -> None:
    sizes = [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    big = 1_000_000 if full else 100_000
    print("## Scaling")
    run("chain (v = v * c + d)", chain, sizes, big)
    run("one sum over n inputs", wide_sum, sizes, 1_000_000)
    run("demo MLP on n/383 samples", mlp, sizes, 1_000_000, per_sample=True)


if __name__ == "__main__":
    main(quick="--quick" in sys.argv, full="--full" in sys.argv)
