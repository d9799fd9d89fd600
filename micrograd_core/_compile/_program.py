"""`Program`: a traced graph's plan, built into an executor, replayed with its guards checked."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from numbers import Real
from operator import attrgetter
from typing import Any

from .._registry import registry
from .._value import Value
from ._errors import CompileError, GuardFailedError, StaleProgramError, TraceError
from ._grad_layout import B_SEED
from ._plan import Plan
from ._trace import trace

_DATA = attrgetter("data")

_COMPARE = {
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


class Program:
    """A traced graph ready for replay; see the module docstring. Build with `compile(fn)`."""

    def __init__(self, fn: Callable[[], Any], executor: str = "python") -> None:
        if executor not in ("python", "numpy", "auto"):
            raise ValueError(f"executor must be 'python', 'numpy' or 'auto', got {executor!r}")
        # Tracing and planning create tens of thousands of objects in no reference cycle (nodes
        # hold no closures); the cyclic collector would scan them over and over for nothing,
        # which was a third of the demo's compile time. It runs again as usual afterwards.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._build(fn, executor)
        finally:
            if collecting:
                gc.enable()

    def _build(self, fn: Callable[[], Any], executor: str) -> None:
        result, tracer = trace(fn)
        self.single = isinstance(result, Value)
        if self.single:
            outputs = [result]
        else:
            outputs = list(result) if isinstance(result, (list, tuple)) else []
        if not outputs or not all(isinstance(v, Value) for v in outputs):
            raise TraceError(f"fn must return a Value or a sequence of Values, got {result!r}")
        if tracer.escaped:
            raise TraceError(
                f"fn used {tracer.escaped} while tracing: its data left the graph, so a replay "
                "could silently differ. Compute with Values only (or run eagerly)."
            )
        self.executor = _pick(executor)
        lower = None
        if self.executor == "numpy":
            from ._matmul import Lowering

            lower = Lowering()
        plan = Plan(outputs, tracer.created, lower)
        self._inputs = plan.inputs
        # Registered ops must still be the registered ones at replay (ad-hoc op objects that
        # were never registered, such as a private op inside another's backward, are exempt).
        ops = [g.op for g in plan.groups]
        self._ops = {op.name: op for op in ops if registry.table.get(op.name) is op}
        self._guards = [self._guard(plan, g) for g in tracer.guards]
        self._guards = [g for g in self._guards if g is not None]
        self.nodes = plan.size  #: nodes in the traced graph, leaves included
        if self.executor == "numpy":
            from ._numpy_executor import build as build_np

            self._runner = build_np(plan)
            self.source = self._runner.source
        else:
            from ._python_executor import build

            keep = {*plan.outputs, *(r[1] for g in self._guards for r in g[1:3] if r[0] == "slot")}
            fwd, bwd, self.source, n_grads = build(plan, keep)
            self._runner = _PyRunner(plan, fwd, bwd, n_grads)
        self._outputs = plan.outputs
        self._ran = False
        self._step: Any = None  # the last sgd_step's parameters (a _sgd.StepPlan)

    @staticmethod
    def _guard(plan: Plan, guard: tuple[str, Any, Any, bool]) -> tuple[Any, ...] | None:
        kind, a, b, result = guard
        refs = []
        for x in (a, b):
            if not isinstance(x, Value):
                refs.append(("const", x))
            elif x in plan.slot:
                refs.append(("slot", plan.slot[x]))
            elif x._op is None:
                refs.append(("leaf", x))  # a leaf outside the graph: read it live
            else:
                raise TraceError(
                    "fn compared a Value that is not part of the returned graph while tracing; "
                    "a replay could not re-check that comparison"
                )
        return (_COMPARE[kind], refs[0], refs[1], result)

    @property
    def inputs(self) -> list[Value]:
        """The leaves read at every replay and given gradients by `backward`."""
        return list(self._inputs)

    def forward(self) -> Any:
        """Recompute the graph from the inputs' current `.data`; the output float(s)."""
        for name, op in self._ops.items():
            if registry.table.get(name) is not op:
                raise StaleProgramError(
                    f"op {name!r} was unregistered or overridden since tracing; compile again"
                )
        self._ran = False  # until this forward completes: backward needs all of its values
        values = self._runner.forward(list(map(_DATA, self._inputs)))
        for check, ra, rb, expected in self._guards:
            if check(_ref(ra, values), _ref(rb, values)) != expected:
                raise GuardFailedError(
                    "a comparison made while tracing came out differently for these inputs: "
                    "the traced graph may not be what fn would build now; compile again"
                )
        self._ran = True
        outs = [float(values[i]) for i in self._outputs]
        return outs[0] if self.single else tuple(outs)

    __call__ = forward

    def backward(self) -> None:
        """Accumulate d output / d input into every input's `.grad` (after `forward`)."""
        if not self._ran:
            raise CompileError("call forward() before backward()")
        # a plain loop: faster here than setattr mapped in C (0.30 against 0.48 ms for 4,417)
        for v, g in zip(self._inputs, self._runner.backward()):
            v.grad += g

    def sgd_step(self, params: Sequence[Value], lr: float) -> Any:
        """One step of gradient descent in one call; forward's result. Exactly the loop

            out = program.forward()
            for p in params:
                p.grad = 0.0
            program.backward()
            for p in params:
                p.data -= lr * p.grad

        every Value's `.data` and `.grad` included, but with the numpy executor the zeroing,
        the gradients and the update are done on the program's arrays and each parameter is
        written once (`_sgd`): cheaper when there are many parameters. `lr` is a number."""
        if isinstance(lr, bool) or not isinstance(lr, Real):
            raise TypeError(f"sgd_step: lr must be a number, got {type(lr).__name__} {lr!r}")
        lr = float(lr)
        if not isinstance(params, list):
            try:
                params = list(params)
            except TypeError:
                msg = f"sgd_step: params must be an iterable of Values, got {type(params).__name__}"
                raise TypeError(msg) from None
        step = self._step
        if step is None or step.key != params or step.inputs is not self._inputs:
            from ._sgd import StepPlan

            step = self._step = StepPlan(self._inputs, params)
        out = self.forward()
        if self.executor != "numpy":
            for p in step.key:
                p.grad = 0.0
            self.backward()
            for p in step.key:
                p.data -= lr * p.grad
            return out
        step.step(self._runner.V, self._runner.backward_array(), lr)
        return out


def _ref(ref: tuple[str, Any], values: Any) -> Any:
    kind, x = ref
    return x if kind == "const" else (values[x] if kind == "slot" else x.data)


def _pick(executor: str) -> str:
    if executor == "python":
        return executor
    try:
        import numpy  # noqa: F401
    except ImportError as exc:
        if executor == "numpy":
            raise ImportError(
                "executor='numpy' needs numpy: pip install 'micrograd-core[fast]'"
            ) from exc
        return "python"
    return "numpy"


class _PyRunner:
    def __init__(self, plan: Plan, fwd: Any, bwd: Any, n_grads: int) -> None:
        self.V: list[Any] = [0.0] * plan.size + [1.0]  # the extra slot: _grad_layout's `one`
        n = len(plan.inputs)
        self.V[n : n + len(plan.constants)] = [v.data for v in plan.constants]
        self.B: list[Any] = [0.0] * n_grads  # gradients and stored contributions (_grad_layout)
        self.B[B_SEED] = 1.0  # the output's seed
        self.n = n
        self._fwd, self._bwd = fwd, bwd

    def forward(self, data: list[float]) -> list[Any]:
        self.V[: self.n] = data
        return self._fwd(self.V)  # type: ignore[no-any-return]

    def backward(self) -> list[float]:
        return self._bwd(self.V, self.B)  # type: ignore[no-any-return]


def compile(fn: Callable[[], Any], *, executor: str = "python") -> Program:
    """Trace `fn()` once into a `Program` (see the module docstring).

    `executor`: "python" (default, no dependency), "numpy" (vectorised; needs numpy, the
    `fast` extra) or "auto" (numpy when importable, else python).
    """
    return Program(fn, executor)
