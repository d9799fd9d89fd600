"""One engine on micrograd's demo workload, run in its own process and reported as JSON.

`python -m benchmarks.workload ENGINE GC STEPS [SAMPLES HIDDEN]`, driven by `benchmarks.run`
through a pipe (see `serve`; not meant to be run by hand: it waits for its orders on stdin), with
ENGINE one of `micrograd`, `eager`, `compiled`, `compiled-numpy`, `torch` (PyTorch on CPU,
float64, one thread, the whole batch as tensors: the `bench` extra's optional peer),
`compiled-numpy-step` (compiled numpy trained with `Program.sgd_step`, the one-call step, in
place of micrograd's loop) or `params-loop` (only the loop's `zero_grad` and update over the
parameters, no graph: the least a step written as micrograd's loop costs), SAMPLES
the number of moons (100) and HIDDEN the hidden layer sizes (`16,16`), and GC `default` (the
cyclic collector runs whenever it wants, inside the timed step) or `out` (collector disabled
during the step, `gc.collect()` after it, timed separately). Each step is: build the loss (or
replay it), zero_grad, backward, SGD update, exactly micrograd's demo loop. Times are CPU seconds
(`time.process_time`), which a busy shared machine disturbs much less than wall time. Data
comes from `micrograd_core.datasets.make_moons`; `random.seed(SEED)` gives both libraries' MLPs
the same initial weights.
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


def _core_setup(
    engine: str, samples: int = 100, hidden: tuple[int, ...] = (16, 16)
) -> tuple[Callable[[], Any], list[Any], Callable[[Any], int]]:
    from micrograd_core import topological_order
    from micrograd_core.demo import demo_loss
    from micrograd_core.nn import MLP

    X, y = make_moons(samples, 0.1, SEED)
    random.seed(SEED)
    model = MLP(2, [*hidden, 1])
    if engine == "eager":
        return (lambda: demo_loss(model, X, y)[0]), [model], lambda r: len(topological_order(r))
    from micrograd_core import compile as compile_fn

    if engine == "params-loop":  # the loop's bookkeeping alone: no graph at all
        return (lambda: None), [model], lambda r: 0
    executor = "numpy" if engine.startswith("compiled-numpy") else "python"
    t0 = time.perf_counter()
    program = compile_fn(lambda: demo_loss(model, X, y)[0], executor=executor)
    _core_setup.compile_seconds = time.perf_counter() - t0  # type: ignore[attr-defined]
    return program, [model, program], lambda r: program.nodes


class Run:
    """One engine's 100-step training run, executed a few steps at a time (`steps(n)`), so that
    the runner can interleave engines: each engine's steps then sample the same moments of a
    noisy host as the others'."""

    def __init__(
        self, engine: str, gc_mode: str, steps: int, samples: int = 100, hidden: str = "16,16"
    ) -> None:
        self.engine, self.gc_mode, self.total = engine, gc_mode, steps
        self.samples, self.hidden = samples, tuple(int(h) for h in hidden.split(","))
        if engine == "micrograd":
            self.loss_fn, objs, self.count = _micrograd_setup()  # ImportError without it
        elif engine == "torch":
            from .torch_peer import TorchDemo  # ImportError without torch

            self.loss_fn = TorchDemo(samples, self.hidden, SEED)
            objs, self.count = [self.loss_fn], lambda r: 0
        else:
            self.loss_fn, objs, self.count = _core_setup(engine, samples, self.hidden)
        self.model = objs[0]
        self.compiled = engine.startswith("compiled")
        self.tensors = engine == "torch"
        self.times: list[float] = []
        self.collects: list[float] = []
        self.losses: list[float] = []
        self.nodes = 0

    def steps(self, n: int) -> None:
        """The next `n` steps of micrograd's demo loop: loss, zero_grad, backward, SGD update."""
        for k in range(len(self.times), min(len(self.times) + n, self.total)):
            self._step(k)

    def _step(self, k: int) -> None:
        model, out = self.model, self.gc_mode == "out"
        if out:
            gc.disable()
        t0 = time.process_time()
        if self.tensors:
            value = self.loss_fn.step(1.0 - 0.9 * k / self.total)
            self.times.append(time.process_time() - t0)
            self.losses.append(value)
            if out:
                gc.enable()
            return
        rate = 1.0 - 0.9 * k / self.total
        if self.engine == "compiled-numpy-step":  # the one-call step (Program.sgd_step)
            value = self.loss_fn.sgd_step(model.parameters(), rate)
            self.times.append(time.process_time() - t0)
            self.losses.append(value)
            if out:
                gc.enable()
            return
        if self.engine == "params-loop":
            value = 0.0
            model.zero_grad()
        elif self.compiled:
            value = self.loss_fn.forward()
            model.zero_grad()
            self.loss_fn.backward()
        else:
            total = self.loss_fn()
            model.zero_grad()
            total.backward()
            value = total.data
        for p in model.parameters():
            p.data -= rate * p.grad
        self.times.append(time.process_time() - t0)
        self.losses.append(value)
        if k == 0 and self.engine != "params-loop":
            self.nodes = self.count(None if self.compiled else total)
        if out:
            total = None  # (eager) the step's graph is garbage from here
            t1 = time.process_time()
            gc.collect()
            self.collects.append(time.process_time() - t1)
            gc.enable()

    def result(self) -> dict[str, Any]:
        """The timings, losses and memory figures (after the steps)."""
        peak_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Memory per node: bytes allocated while building one step's graph (or compiling it).
        gc.collect()
        tracemalloc.start()
        if self.tensors or self.samples != 100:
            keep = None  # measured on the demo only (tracing a large graph again takes long)
        elif self.engine == "params-loop":
            keep = None
        elif self.compiled:
            from micrograd_core import compile as compile_fn
            from micrograd_core.demo import demo_loss

            X, y = make_moons(self.samples, 0.1, SEED)
            model, executor = self.model, self.loss_fn.executor
            keep: Any = compile_fn(lambda: demo_loss(model, X, y)[0], executor=executor)
        else:
            keep = self.loss_fn()
        traced = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        del keep
        return {
            "engine": self.engine,
            "gc": self.gc_mode,
            "steps": len(self.times),
            "times": self.times,
            "collects": self.collects,
            "losses": self.losses,
            "nodes": self.nodes,
            "peak_rss_kib": peak_rss_kib,
            "bytes_per_node": traced / max(self.nodes, 1),
            "compile_seconds": getattr(_core_setup, "compile_seconds", None),
        }


MISSING = "micrograd is not installed: pip install -e '.[bench]'"


TORCH_MISSING = "PyTorch is not installed (optional peer): pip install torch"


def serve(engine: str, gc_mode: str, steps: int, samples: int = 100, hidden: str = "16,16") -> None:
    """The runner's side of the pipe: print `ready` (or a JSON `missing` line), then for each
    line `n` read, run the next n steps and print `done`; at end of input print the result."""
    try:
        run = Run(engine, gc_mode, steps, samples, hidden)
    except ImportError:
        print(json.dumps({"missing": TORCH_MISSING if engine == "torch" else MISSING}), flush=True)
        return
    print("ready", flush=True)
    for line in sys.stdin:
        run.steps(int(line))
        print("done", flush=True)
    print(json.dumps(run.result()), flush=True)


if __name__ == "__main__":
    size = [int(sys.argv[4]), *sys.argv[5:6]] if len(sys.argv) > 4 else []
    serve(sys.argv[1], sys.argv[2], int(sys.argv[3]), *size)
