"""Compiled mode: same losses and gradients as eager (float for float for the pure-Python
executor, within the documented tolerance for numpy's matrix products), typed refusals."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from micrograd_core import (
    VARIADIC,
    CompileError,
    GuardFailedError,
    Op,
    StaleProgramError,
    TraceError,
    Value,
    compile,
    registry,
)
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP

try:
    import numpy  # noqa: F401  (the optional `fast` extra; CI installs it)

    HAVE_NUMPY = True
except ImportError:
    HAVE_NUMPY = False
needs_numpy = pytest.mark.skipif(not HAVE_NUMPY, reason="the numpy executor needs the `fast` extra")
EXECUTORS = ["python", pytest.param("numpy", marks=needs_numpy)]


def _models(n: int, hidden: tuple[int, ...] = (8, 8)) -> list[MLP]:
    models = []
    for _ in range(n):
        random.seed(7)
        models.append(MLP(2, [*hidden, 1]))
    return models


@pytest.mark.parametrize("executor", EXECUTORS)
def test_demo_matches_eager_float_for_float(executor: str) -> None:
    X, y = make_moons(30, 0.1, 3)
    eager, traced = _models(2)
    program = compile(lambda: demo_loss(traced, X, y)[0], executor=executor)
    assert set(program.inputs) == set(traced.parameters())
    for k in range(3):
        loss, _ = demo_loss(eager, X, y)
        eager.zero_grad()
        loss.backward()
        value = program.forward()
        traced.zero_grad()
        program.backward()
        grads = [p.grad for p in traced.parameters()]
        expected = [p.grad for p in eager.parameters()]
        if executor == "python":
            assert value == loss.data
            assert grads == expected
        else:  # a layer is a matrix product, which adds in BLAS's order
            assert value == pytest.approx(loss.data, rel=1e-12)
            scale = max(map(abs, expected))
            assert grads == pytest.approx(expected, rel=1e-9, abs=1e-12 * scale)
            assert grads != [0.0] * len(grads)
        for model in (eager, traced):
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 3) * p.grad


class Cube(Op):
    """A plugin op with no fast path: the executors must call forward/backward."""

    name = "cube_t"
    arity = 1

    def forward(self, x: float) -> float:
        return x * x * x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (3 * x * x * grad,)


class SoftPlus(Op):
    """A plugin op whose fast path is derived from its one-return methods (numpy runs
    math.log1p element by element)."""

    name = "softplus_t"
    arity = 1

    def forward(self, x: float) -> float:
        return math.log1p(math.exp(x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad / (1 + math.exp(-x)),)


class WeightedSum(Op):
    """A variadic op with a static param and no fast path."""

    name = "wsum_t"
    arity = VARIADIC
    params = ("scale",)
    param_examples = ({"scale": 2.0},)

    def forward(self, *xs: float, scale: float) -> float:
        return scale * sum(xs)

    def backward(self, grad: Any, out: Any, *xs: Any, scale: float) -> tuple[Any, ...]:
        return (scale * grad,) * len(xs)


def _plugin_graph(ws: list[Value]) -> Value:
    a, b, c = ws
    terms = [(a * b).cube_t(), (b - c).softplus_t(), c**2, a.tanh(), (a * c).relu()]
    return Value(0.5) * terms[0].wsum_t(*terms[1:], b, scale=1.5) + a / (b * b + 1)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_plugin_ops_match_eager(executor: str) -> None:
    with registry.temporary(Cube, SoftPlus, WeightedSum):
        ws = [Value(0.3), Value(-0.7), Value(1.1)]
        program = compile(lambda: _plugin_graph(ws), executor=executor)
        for step in range(3):
            for w in ws:
                w.grad = 0.0
            out = _plugin_graph(ws)
            out.backward()
            expected = [w.grad for w in ws]
            for w in ws:
                w.grad = 0.0
            assert program.forward() == pytest.approx(out.data, rel=1e-13)
            program.backward()
            assert [w.grad for w in ws] == pytest.approx(expected, rel=1e-12)
            if executor == "python":  # the same float operations in the same order
                assert [w.grad for w in ws] == expected
            for w in ws:
                w.data += 0.1 * (step + 1)


@needs_numpy
def test_numpy_agrees_with_python_on_demo() -> None:
    X, y = make_moons(20, 0.1, 5)
    (model,) = _models(1, (6,))
    python = compile(lambda: demo_loss(model, X, y)[0], executor="python")
    numpy = compile(lambda: demo_loss(model, X, y)[0], executor="numpy")
    assert numpy.forward() == pytest.approx(python.forward(), rel=1e-12)
    model.zero_grad()
    python.backward()
    g_python = [p.grad for p in model.parameters()]
    model.zero_grad()
    numpy.backward()
    scale = max(map(abs, g_python))
    assert [p.grad for p in model.parameters()] == pytest.approx(g_python, abs=1e-12 * scale)


@needs_numpy
@pytest.mark.parametrize(
    ("rows", "cols"),
    [(r, c) for r in (1, 2, 3, 8, 9, 17, 129, 1000) for c in (1, 2, 3, 16, 337)]
    + [(3, 100_000), (20_000, 2)],
)
def test_numpy_sums_add_left_to_right(rows: int, cols: int) -> None:
    """The numpy executor's sums against Python's `+=` from 0.0, column by column: numpy adds
    pairwise along an array's fast axis, which would show in the last bits (or in -0.0)."""
    import numpy as np

    from micrograd_core._compile._numpy_executor import _seqsum

    rng = random.Random(rows * 1000 + cols)
    data = [
        [rng.uniform(-1, 1) * 10.0 ** rng.randint(-12, 12) for _ in range(cols)]
        for _ in range(rows)
    ]
    data[0][0] = -0.0
    for row in data[: rows // 2] if cols == 1 else data:
        row[-1] = -0.0  # a column of -0.0 sums to 0.0 from 0.0
    expected = []
    for c in range(cols):
        acc = 0.0
        for r in range(rows):
            acc += data[r][c]
        expected.append(acc)
    got = _seqsum(np.array(data)).tolist()
    assert [(v, math.copysign(1, v)) for v in got] == [(v, math.copysign(1, v)) for v in expected]


def test_auto_executor_without_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_numpy(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("no numpy here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    x = Value(2.0)
    program = compile(lambda: (x * x + 1).relu(), executor="auto")
    assert program.executor == "python"
    assert program.forward() == 5.0
    with pytest.raises(ImportError, match="fast"):
        compile(lambda: x * x, executor="numpy")


@pytest.mark.parametrize("executor", EXECUTORS)
def test_data_dependent_branch_is_guarded(executor: str) -> None:
    x = Value(1.0)

    def fn() -> Value:
        return x * 2 if x > 0 else x * -3

    program = compile(fn, executor=executor)
    assert program.forward() == 2.0
    x.data = 5.0
    assert program.forward() == 10.0  # same branch: fine
    x.data = -1.0
    with pytest.raises(GuardFailedError):
        program.forward()
    with pytest.raises(CompileError, match="forward"):
        program.backward()


def test_escaping_data_is_refused() -> None:
    x = Value(1.0)
    with pytest.raises(TraceError, match="float"):
        compile(lambda: x * float(x * 2))
    with pytest.raises(TraceError, match="item"):
        compile(lambda: x * (x * 2).item())


def test_comparing_a_value_outside_the_graph_is_refused() -> None:
    x = Value(1.0)

    def fn() -> Value:
        other = x * 3  # not returned, so a replay cannot recompute it
        return x * 2 if other > 0 else x

    with pytest.raises(TraceError, match="not part of the returned graph"):
        compile(fn)


def test_unregistered_op_makes_the_program_stale() -> None:
    x = Value(0.5)
    with registry.temporary(Cube):
        program = compile(lambda: x.cube_t())
        assert program.forward() == 0.125
    with pytest.raises(StaleProgramError, match="cube_t"):
        program.forward()


def test_constants_are_baked_and_inputs_read_live() -> None:
    w = Value(3.0)
    program = compile(lambda: w * Value(2.0) + 1)
    assert program.inputs == [w]
    w.data = 4.0
    assert program.forward() == 9.0
    program.backward()
    program.backward()  # gradients accumulate, as eager backward does
    assert w.grad == 4.0


def test_several_outputs_first_is_differentiated() -> None:
    a, b = Value(2.0), Value(3.0)
    program = compile(lambda: (a * b, a + b))
    assert program.forward() == (6.0, 5.0)
    program.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def test_bad_return_is_refused() -> None:
    with pytest.raises(TraceError):
        compile(lambda: 3.0)


class CappedOp(Op):
    """x * 2, refusing inputs over 10 (a domain error, as log's for x <= 0)."""

    name = "capped_c"
    arity = 1

    def forward(self, x: float) -> float:
        if x > 10:
            raise ValueError("capped_c: input over 10")
        return x * 2

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (2 * grad,)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_no_backward_after_a_forward_that_raised(executor: str) -> None:
    """A forward that fails halfway leaves the program's values half updated: backward must
    refuse them rather than return gradients mixed from two replays."""
    with registry.temporary(CappedOp):
        x = Value(1.0)
        program = compile(lambda: (x * x).capped_c() * x, executor=executor)
        assert program.forward() == 2.0
        x.data = 20.0
        with pytest.raises(ValueError, match="over 10"):
            program.forward()
        with pytest.raises(CompileError, match="forward"):
            program.backward()
        x.data = 3.0
        assert program.forward() == 54.0
        program.backward()
        assert x.grad == 54.0  # d(2x^3)/dx at 3


@pytest.mark.parametrize("executor", EXECUTORS)
def test_deep_chain_and_wide_sum(executor: str) -> None:
    x = Value(1.0)

    def chain() -> Value:
        v = x
        for _ in range(3000):
            v = v * 0.999 + 0.001
        return v

    program = compile(chain, executor=executor)
    eager = chain()
    eager.backward()
    expected = x.grad
    x.grad = 0.0
    assert program.forward() == eager.data
    program.backward()
    assert x.grad == expected
    xs = [Value(float(i)) for i in range(20_000)]
    from helpers import sum_values

    wide = compile(lambda: sum_values(xs), executor=executor)
    assert wide.forward() == sum(float(i) for i in range(20_000))
    wide.backward()
    assert all(v.grad == 1.0 for v in xs)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_second_order_graph_with_private_ops(executor: str) -> None:
    from micrograd_core import grad

    x, y = Value(1.7), Value(0.6)

    def dz_dy() -> Value:  # d/dy of x ** y * tanh(y): its graph holds pow_var's private `ln`
        (d,) = grad(x**y * y.tanh(), [y], create_graph=True)
        return d

    program = compile(dz_dy, executor=executor)
    for data in (0.6, 1.1, -0.4):
        y.data = data
        eager = dz_dy()
        eager.backward()
        expected = (x.grad, y.grad)
        x.grad = y.grad = 0.0
        assert program.forward() == pytest.approx(eager.data, rel=1e-14)
        program.backward()
        assert (x.grad, y.grad) == pytest.approx(expected, rel=1e-12)
        x.grad = y.grad = 0.0


@pytest.mark.parametrize("executor", EXECUTORS)
def test_output_that_is_an_input(executor: str) -> None:
    x = Value(2.0)
    program = compile(lambda: x, executor=executor)
    assert program.forward() == 2.0
    program.backward()
    assert x.grad == 1.0


def test_compile_leaves_the_garbage_collector_as_it_found_it() -> None:
    """compile pauses the cyclic collector while it traces, and restores it, even on error."""
    import gc

    x = Value(2.0)
    assert gc.isenabled()
    compile(lambda: x * x)
    assert gc.isenabled()
    with pytest.raises(TraceError):
        compile(lambda: x * float(x))
    assert gc.isenabled()
    gc.disable()
    try:
        compile(lambda: x * x)
        assert not gc.isenabled()  # the caller's choice stands
    finally:
        gc.enable()
