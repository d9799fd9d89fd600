"""`Program.sgd_step(params, lr)` is micrograd's training step in one call: every Value's
`.data` and `.grad` after each step are exactly what the loop (forward, zero_grad, backward,
update) leaves, with either executor, whatever the parameters are."""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable
from typing import Any

import pytest

from micrograd_core import GuardFailedError, Value, compile
from micrograd_core.datasets import make_moons
from micrograd_core.demo import demo_loss
from micrograd_core.nn import MLP

EXECUTORS = ["python"]
try:
    import numpy  # noqa: F401

    EXECUTORS.append("numpy")
except ImportError:  # pragma: no cover - the `fast` extra is part of the test setup
    pass


def _state(values: list[Value]) -> list[bytes]:
    """Every .data and .grad, bit for bit (a NaN's payload aside, as float == would)."""
    out = []
    for v in values:
        for x in (v.data, v.grad):
            out.append(b"nan" if math.isnan(x) else struct.pack("<d", x))
    return out


def _loop(program: Any, params: list[Value], lr: float) -> Any:
    out = program.forward()
    for p in params:
        p.grad = 0.0
    program.backward()
    for p in params:
        p.data -= lr * p.grad
    return out


def _twins(make: Callable[[], tuple[Callable[[], Any], list[Value], list[Value]]], executor: str):
    """Two identical set-ups, one for the loop and one for sgd_step."""
    a, b = make(), make()
    return (
        (compile(a[0], executor=executor), a[1], a[2]),
        (compile(b[0], executor=executor), b[1], b[2]),
    )


def _demo() -> tuple[Callable[[], Any], list[Value], list[Value]]:
    X, y = make_moons(30, 0.1, 7)
    random.seed(7)
    model = MLP(2, [8, 8, 1])
    params = model.parameters()
    return (lambda: demo_loss(model, X, y)[0]), params, params


@pytest.mark.parametrize("order", ["model", "inputs"])
@pytest.mark.parametrize("executor", EXECUTORS)
def test_the_demo_trains_exactly_as_with_the_loop(executor: str, order: str) -> None:
    (pa, params_a, _), (pb, params_b, _) = _twins(_demo, executor)
    if order == "inputs":  # the program's own order: sgd_step's update is one slice
        params_a, params_b = pa.inputs, pb.inputs
    assert sorted(map(id, params_b)) == sorted(map(id, pb.inputs))
    for k in range(12):
        lr = 1.0 - 0.9 * k / 100
        assert _loop(pa, params_a, lr) == pb.sgd_step(params_b, lr)
        assert _state(params_a) == _state(params_b)


def _mixed() -> tuple[Callable[[], Any], list[Value], list[Value]]:
    """Params that are a part of the inputs, in another order, plus one outside the graph;
    one input (`x`) that is not a parameter, whose gradient accumulates."""
    w = [Value(v) for v in (0.5, -1.5, 2.0, -0.0)]
    x = Value(0.25)
    x.grad = 3.0
    outside = Value(-0.0)
    outside.grad = 7.0

    def fn() -> Value:
        return (w[0] * x + w[1] * w[2]).relu() * w[3] + (w[1] * x).tanh() + w[2] * w[2]

    return fn, [w[2], outside, w[0], w[3], w[1]], [*w, x, outside]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_params_in_any_order_outside_the_graph_and_inputs_that_are_not_params(
    executor: str,
) -> None:
    (pa, params_a, all_a), (pb, params_b, all_b) = _twins(_mixed, executor)
    for k in range(5):
        assert _loop(pa, params_a, 0.1 * (k + 1)) == pb.sgd_step(params_b, 0.1 * (k + 1))
        assert _state(all_a) == _state(all_b)
    assert all_b[4].grad != 3.0  # the non-parameter input accumulated


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_data_change_between_steps_is_seen(executor: str) -> None:
    (pa, params_a, _), (pb, params_b, _) = _twins(_demo, executor)
    for k in range(4):
        if k == 2:
            params_a[3].data = params_b[3].data = -0.0
            params_a[5].data = params_b[5].data = 1e300
        assert _loop(pa, params_a, 0.5) == pb.sgd_step(params_b, 0.5)
        assert _state(params_a) == _state(params_b)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_overflow_and_nan_are_those_of_the_loop(executor: str) -> None:
    (pa, params_a, all_a), (pb, params_b, all_b) = _twins(_mixed, executor)
    for lr in (1e308, 1e308, 1.0):
        loss_a, loss_b = _loop(pa, params_a, lr), pb.sgd_step(params_b, lr)
        assert loss_a == loss_b or (math.isnan(loss_a) and math.isnan(loss_b))
        assert _state(all_a) == _state(all_b)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_new_list_of_the_same_params_and_a_tuple_work(executor: str) -> None:
    (pa, params_a, _), (pb, params_b, _) = _twins(_demo, executor)
    for k in range(3):
        step_params = tuple(params_b) if k == 1 else list(params_b)
        assert _loop(pa, params_a, 0.3) == pb.sgd_step(step_params, 0.3)
        assert _state(params_a) == _state(params_b)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_bad_params_are_refused(executor: str) -> None:
    x = Value(1.0)
    program = compile(lambda: x * x, executor=executor)
    with pytest.raises(ValueError, match="twice"):
        program.sgd_step([x, x], 0.1)
    with pytest.raises(TypeError, match="float"):
        program.sgd_step([x, 1.0], 0.1)  # type: ignore[list-item]
    for params in (None, x):  # not an iterable: the error names the call
        with pytest.raises(TypeError, match="sgd_step: params must be an iterable"):
            program.sgd_step(params, 0.1)  # type: ignore[arg-type]
    for lr in ("0.1", None, True):
        with pytest.raises(TypeError, match="lr must be a number"):
            program.sgd_step([x], lr)  # type: ignore[arg-type]
    assert (x.data, x.grad) == (1.0, 0.0)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_failed_guard_changes_no_value(executor: str) -> None:
    x = Value(1.0)
    program = compile(lambda: x * 2 if x > 0 else x * -3, executor=executor)
    program.sgd_step([x], 0.25)
    assert (x.data, x.grad) == (0.5, 2.0)
    x.data = -1.0
    with pytest.raises(GuardFailedError):
        program.sgd_step([x], 0.25)
    assert (x.data, x.grad) == (-1.0, 2.0)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_no_params_is_forward_and_backward(executor: str) -> None:
    """With no parameters the step updates nothing and backward's gradients accumulate."""
    (pa, _, all_a), (pb, _, all_b) = _twins(_mixed, executor)
    for _ in range(2):
        assert _loop(pa, [], 0.5) == pb.sgd_step([], 0.5)
        assert _state(all_a) == _state(all_b)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_constant_of_the_program_is_not_trained_as_the_compiled_loop_says(executor: str) -> None:
    a = Value(2.0)
    made: list[Value] = []

    def fn() -> Value:
        made.append(Value(3.0))  # created inside fn: a constant of the program
        return a * made[0]

    program = compile(fn, executor=executor)
    k = made[-1]
    program.sgd_step([a, k], 0.5)
    assert (a.data, a.grad) == (2.0 - 0.5 * 3.0, 3.0)
    assert (k.data, k.grad) == (3.0, 0.0)  # documented: train Values created outside fn
