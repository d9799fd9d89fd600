"""One engine on micrograd's demo workload, run in its own process and reported as JSON.

`python -m benchmarks.workload ENGINE GC STEPS` with ENGINE one of `micrograd`, `eager`,
`compiled`, `compiled-numpy` and GC `default` (the cyclic collector runs whenever it wants,
inside the timed step) or `out` (collector disabled during the step, `gc.collect()` after it,
timed separately). Each step is: build the loss (or replay it), zero_grad, backward, SGD
update, exactly micrograd's demo loop. Times are CPU seconds (`time.process_time`), which a
busy shared machine disturbs much less than wall time. Data comes from
`micrograd_core.datasets.make_moons`; `random.seed(seed)` gives both libraries' MLPs the same
initial weights.
"""

from __future__ import annotations

import gc
import json
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from micrograd_core.datasets import make_moons

SEED = 1337


def _micrograd_setup() -> tuple[Callable[[], Any], list[Any], Callable[[Any], int]]:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = make_moons(100, 0.1, SEED)
    random.seed(SEED)
    model = MLP(2, [16, 16, 1])

    def loss() -> Any:  # micrograd's demo.ipynb, verbatim apart from names
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    def count(root: Any) -> int:
        seen, stack = {root}, [root]
        while stack:
            for p in stack.pop()._prev:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return len(seen)

    return loss, [model], count


def _core_setup(engine: str) -> tuple[Callable[[], Any], list[Any], Callable[[Any], int]]:
    from micrograd_core import topological_order
    from micrograd_core.demo import demo_loss
    from micrograd_core.nn import MLP

    X, y = make_moons(100, 0.1, SEED)
    random.seed(SEED)
    model = MLP(2, [16, 16, 1])
    if engine == "eager":
        return (lambda: demo_loss(model, X, y)[0]), [model], lambda r: len(topological_order(r))
    from micrograd_core import compile as compile_fn

    executor = "numpy" if engine == "compiled-numpy" else "python"
    t0 = time.perf_counter()
    program = compile_fn(lambda: demo_loss(model, X, y)[0], executor=executor)
    _core_setup.compile_seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
    return program, [model, program], lambda r: program.nodes


def run(engine: str, gc_mode: str, steps: int) -> dict[str, Any]:
    if engine == "micrograd":
        try:
            loss_fn, objs, count = _micrograd_setup()
        except ImportError:
            return {"missing": "micrograd is not installed: pip install -e '.[bench]'"}
    else:
        loss_fn, objs, count = _core_setup(engine)
    model = objs[0]
    compiled = engine.startswith("compiled")
    times: list[float] = []
    collects: list[float] = []
    losses: list[float] = []
    nodes = 0
    for k in range(steps):
        if gc_mode == "out":
            gc.disable()
        t0 = time.process_time()
        if compiled:
            value = loss_fn.forward()
            model.zero_grad()
            loss_fn.backward()
        else:
            total = loss_fn()
            model.zero_grad()
            total.backward()
            value = total.data
        rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= rate * p.grad
        times.append(time.process_time() - t0)
        losses.append(value)
        if k == 0:
            nodes = count(None if compiled else total)
        if gc_mode == "out":
            if not compiled:
                del total
            t1 = time.process_time()
            gc.collect()
            collects.append(time.process_time() - t1)
            gc.enable()
    peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Memory per node: bytes allocated while building one step's graph (or compiling it).
    gc.collect()
    tracemalloc.start()
    if compiled:
        from micrograd_core import compile as compile_fn
        from micrograd_core.demo import demo_loss

        X, y = make_moons(100, 0.1, SEED)
        keep: Any = compile_fn(lambda: demo_loss(model, X, y)[0], executor=loss_fn.executor)
    else:
        keep = loss_fn()
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del keep
    return {
        "engine": engine,
        "gc": gc_mode,
        "steps": steps,
        "times": times,
        "collects": collects,
        "losses": losses,
        "nodes": nodes,
        "peak_rss_kib": peak_rss_kib,
        "bytes_per_node": traced / max(nodes, 1),
        "compile_seconds": getattr(_core_setup, "compile_seconds", None),
    }


if __name__ == "__main__":
    engine, gc_mode, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(run(engine, gc_mode, steps)))
