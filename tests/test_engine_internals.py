"""Eager fast paths: templates inlined in backward, parents in slots, a neuron as one dot node."""

from __future__ import annotations

import gc
import itertools
import math
import random
from typing import Any

import pytest

from micrograd_core import VARIADIC, Op, Value, apply, registry, topological_order
from micrograd_core._apply import spec_of
from micrograd_core._dot import dot_values
from micrograd_core._eagerloop import _generate, eager_loop
from micrograd_core._template import template_of
from micrograd_core._value import sum_values
from micrograd_ops_builtin import Dot


class SlowTanh(Op):
    """tanh without templates: the eager loop must call backward for it."""

    name = "slowtanh_i"
    arity = 1

    def forward(self, x: float) -> float:
        return math.tanh(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return ((1 - out * out) * grad,)


class FastTanh(SlowTanh):
    name = "fasttanh_i"
    forward_source = "math.tanh(x0)"
    backward_source = ("(1 - out * out) * g",)


class BrokenTemplate(SlowTanh):
    """Unusable templates (unknown name, bad syntax) are ignored, never half used."""

    name = "broken_i"
    forward_source = "no_such_function(x0)"
    backward_source = ("(1 - out * out) *",)


def _graph(op: str, xs: list[Value]) -> Value:
    terms = [getattr(x * y + 0.5, op)() for x, y in itertools.pairwise(xs)]
    return sum_values([t * t for t in terms]).relu() * 0.25 + xs[0] ** 3


def test_templated_and_plain_ops_give_identical_gradients() -> None:
    with registry.temporary(SlowTanh, FastTanh, BrokenTemplate):
        random.seed(1)
        data = [random.uniform(-2, 2) for _ in range(20)]
        grads = []
        for op in ("slowtanh_i", "fasttanh_i", "broken_i"):
            xs = [Value(d) for d in data]
            _graph(op, xs).backward()
            grads.append([x.grad for x in xs])
        assert grads[0] == grads[1] == grads[2]


def test_template_rendering() -> None:
    with registry.temporary(FastTanh, BrokenTemplate):
        fast = template_of(registry.get("fasttanh_i"), registry.spec("fasttanh_i"), "_p_")
        assert fast is not None and fast.forward == "(_p_math.tanh({x0}))"
        assert fast.globals["_p_math"] is math
        broken = registry.get("broken_i")
        assert template_of(broken, spec_of(broken), "_p_") is None


def test_eager_loop_is_regenerated_when_ops_change() -> None:
    before = eager_loop()
    with registry.temporary(FastTanh):
        during = eager_loop()
        assert during is not before
    assert eager_loop() is before  # cached per set of registered ops


def test_parents_live_in_slots_and_graphs_have_no_cycles() -> None:
    a, b = Value(2.0), Value(3.0)
    c = a * b
    s = sum_values([a, b, c])
    assert c.parents == (a, b) and c._a is a and c._b is b
    assert s.parents == (a, b, c) and s._a is None
    assert (-a).parents[0] is a
    assert a.parents == ()
    gc.collect()
    gc.disable()
    try:
        _graph("tanh", [Value(0.1 * i) for i in range(10)]).backward()
        assert gc.collect() == 0  # freed by reference counting alone
    finally:
        gc.enable()


def _neuron_inputs() -> tuple[Value, list[Value], list[Value]]:
    rng = random.Random(7)
    b = Value(rng.uniform(-1, 1))
    ws = [Value(rng.uniform(-1, 1)) for _ in range(16)]
    return b, ws, [Value(rng.gauss(0, 3)) for _ in range(16)]


def test_dot_is_one_node_with_micrograds_floats() -> None:
    b, ws, xs = _neuron_inputs()
    node = dot_values(b, ws, xs)
    assert node.op == "dot" and node.parents == (b, *ws, *xs)
    expected = b.data
    for w, x in zip(ws, xs):
        expected += w.data * x.data  # micrograd: sum((wi*xi for ...), self.b), left to right
    assert node.data == expected
    node.backward()
    assert b.grad == 1.0
    assert [w.grad for w in ws] == [x.data for x in xs]
    assert [x.grad for x in xs] == [w.data for w in ws]


def test_dot_gradients_equal_the_mul_and_sum_graph() -> None:
    b, ws, xs = _neuron_inputs()
    fused = dot_values(b, ws, xs).tanh() * 3.0
    fused.backward()
    got = [v.grad for v in (b, *ws, *xs)]
    for v in (b, *ws, *xs):
        v.grad = 0.0
    unfused = sum_values([b, *(w * x for w, x in zip(ws, xs))]).tanh() * 3.0
    unfused.backward()
    assert fused.data == unfused.data
    assert got == [v.grad for v in (b, *ws, *xs)]


class HalfDot(Op):
    """A `dot` override with other semantics: the eager fast path must not assume the rule."""

    name = "dot"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        return 0.5 * sum(xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> list[Any]:
        return [0.5 * grad] * len(xs)


def test_an_overridden_dot_keeps_its_own_backward() -> None:
    b, ws, xs = _neuron_inputs()
    with registry.temporary(HalfDot, override=True):
        node = dot_values(b, ws, xs)
        assert node.data == 0.5 * sum(v.data for v in (b, *ws, *xs))
        node.backward()
    assert {v.grad for v in (b, *ws, *xs)} == {0.5}


def test_dot_values_rejects_mismatched_lengths() -> None:
    b, ws, xs = _neuron_inputs()
    with pytest.raises(ValueError, match="16 weights but 15 inputs"):
        dot_values(b, ws, xs[:-1])


def test_compile_traces_dot_as_its_expansion() -> None:
    from micrograd_core import compile

    b, ws, xs = _neuron_inputs()
    program = compile(lambda: dot_values(b, ws, xs).relu())
    assert program.nodes == 1 + 16 + 16 + 16 + 1 + 1  # leaves, 16 muls, one sum, relu
    eager = dot_values(b, ws, xs).relu()
    assert program.forward() == eager.data


class ScaledDot(Dot):
    """Changes the math but inherits Dot's `expand`: compile must not trace it as a dot."""

    def forward(self, *xs: float) -> float:
        return 2.0 * super().forward(*xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> list[Any]:
        return super().backward(2.0 * grad, out, *xs)


class BadExpand(HalfDot):
    name = "badexpand_i"

    def forward(self, *xs: float) -> float:
        return super().forward(*xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> list[Any]:
        return super().backward(grad, out, *xs)

    def expand(self, *xs: Any) -> Any:
        return 3.0


def test_compile_keeps_an_override_that_inherits_expand() -> None:
    from micrograd_core import compile

    b, ws, xs = _neuron_inputs()
    with registry.temporary(ScaledDot, override=True):
        eager = dot_values(b, ws, xs)
        program = compile(lambda: dot_values(b, ws, xs))
        assert program.nodes == 1 + 16 + 16 + 1  # one (scaled) dot node, not its expansion
        assert program.forward() == eager.data


def test_overriding_an_expanded_op_makes_the_program_stale() -> None:
    from micrograd_core import StaleProgramError, compile

    b, ws, xs = _neuron_inputs()
    program = compile(lambda: dot_values(b, ws, xs))
    with registry.temporary(HalfDot, override=True), pytest.raises(StaleProgramError):
        program.forward()


def test_expand_must_return_a_value() -> None:
    from micrograd_core import OpContractError, apply, compile

    with registry.temporary(BadExpand):
        with pytest.raises(OpContractError, match="expand returned float"):
            compile(lambda: apply("badexpand_i", Value(1.0), Value(2.0)))


def test_fused_dot_branch_with_parents_in_slots_and_repeated() -> None:
    a, w, x = Value(0.5), Value(-1.25), Value(3.0)
    for args in ((a,), (w, x), (a, w, x), (w, w)):
        node = apply("dot", *args)
        for v in (a, w, x):
            v.grad = 0.0
        node.backward()
        expected: dict[Value, float] = {}
        grads = Dot().backward(1.0, node.data, *(v.data for v in args))
        for v, g in zip(args, grads):
            expected[v] = expected.get(v, 0.0) + g
        assert {v: v.grad for v in args} == expected, args


def test_eager_loop_without_any_templated_op() -> None:
    loop = _generate(())  # every node through the generic op.backward call
    x = Value(0.5)
    y = x * x + x
    calls: list[Value] = []

    def generic(node: Value) -> None:
        calls.append(node)

    loop([y._a, y], generic, lambda node, exc: exc)
    assert calls == [y, y._a]  # reversed order, each node once


def test_deep_chain_eager() -> None:
    x = Value(1.0)
    v = x
    for _ in range(200_000):
        v = v * 1.0 + 0.0
    order = topological_order(v)
    assert order[-1] is v and len(order) == 800_001  # x, then 200k x (const, mul, const, add)
    v.backward()
    assert x.grad == 1.0


class UnhashableOp(SlowTanh):
    """Ops may define __eq__ (attrs classes do) and so be unhashable."""

    name = "unhashable_i"
    backward_source = ("(1 - out * out) * g",)
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnhashableOp)


def test_unhashable_ops_work_in_every_mode() -> None:
    from micrograd_core import compile

    with registry.temporary(UnhashableOp):
        x = Value(0.3)
        y = x.unhashable_i() * 2
        y.backward()
        program = compile(lambda: x.unhashable_i() * 2)
        assert program.forward() == y.data
        grad = x.grad
        x.grad = 0.0
        program.backward()
        assert x.grad == grad


def test_specs_of_unregistered_ops_are_cached_within_a_bound() -> None:
    """An op that makes a new private op object per call must not grow the spec cache forever."""
    from micrograd_core import _apply

    x = Value(0.5)
    for _ in range(3 * _apply._ADHOC_MAX):
        y = apply(SlowTanh(), x)  # a new, unregistered op object each time
        assert y.data == math.tanh(0.5)
    assert 0 < len(_apply._adhoc_specs) <= _apply._ADHOC_MAX
