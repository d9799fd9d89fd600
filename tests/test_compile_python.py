"""The pure-Python executor's fast paths (sums of products computed in place, gradients summed
from factor and gradient tuples, shared gradient slots) give eager's floats, float for float,
and step aside whenever their conditions do not hold."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from helpers import sum_values
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_core import VARIADIC, Op, Value, apply, compile, registry, sequential_sum
from micrograd_core.testing import ExprGraph, expression_graphs

try:
    import numpy  # noqa: F401

    EXECUTORS = ["python", "numpy"]
except ImportError:  # pragma: no cover - CI installs the `fast` extra
    EXECUTORS = ["python"]


def _eager_and_compiled(
    fn: Callable[[], Value], leaves: list[Value], executor: str = "python"
) -> tuple[float, list[float], float, list[float], Any]:
    program = compile(fn, executor=executor)
    for v in leaves:
        v.grad = 0.0
    out = fn()
    out.backward()
    expected = [v.grad for v in leaves]
    for v in leaves:
        v.grad = 0.0
    value = program.forward()
    program.backward()
    return out.data, expected, value, [v.grad for v in leaves], program


def _same(a: list[float], b: list[float]) -> bool:
    """Equal as floats, NaN included, and with the same sign of zero."""
    return all(
        (math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))
        for x, y in zip(a, b, strict=True)
    )


def _graph_fn(graph: ExprGraph, leaves: list[Value], second: int | None = None) -> Any:
    """The graph over `leaves`; with `second`, also that node as a second output (nodes off
    the first output's path then stay in the program)."""

    def fn() -> Any:
        values = list(leaves)
        for node in graph.nodes:
            values.append(apply(node.op, *[values[a] for a in node.args], **node.params))
        return values[-1] if second is None else (values[-1], values[second % len(values)])

    return fn


class NoTemplates(Op):
    """x0 * x1 + x0, a plugin op: its fast path is derived from its methods."""

    name = "plain_fma"
    arity = 2

    def forward(self, a: float, b: float) -> float:
        return a * b + a

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return ((b + 1) * grad, a * grad)


class NoTemplatesVariadic(Op):
    """Sum of squares, variadic: a fast path can only come from a symbolic run, per input count."""

    name = "plain_sumsq"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        return sum(x * x for x in xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> list[Any]:
        return [2 * x * grad for x in xs]


@settings(max_examples=150, deadline=None)
@given(
    expression_graphs(max_leaves=4, max_nodes=12),
    st.sampled_from(EXECUTORS),
    st.none() | st.integers(0, 30),
)
def test_random_graphs_compile_to_eagers_floats(
    graph: ExprGraph, executor: str, second: int | None
) -> None:
    leaves = [Value(x) for x in graph.leaves]
    fn = _graph_fn(graph, leaves, second)
    program = compile(fn, executor=executor)
    root = fn()[0] if second is not None else fn()
    root.backward()
    data, expected = root.data, [v.grad for v in leaves]
    for v in leaves:
        v.grad = 0.0
    outputs = program.forward()
    program.backward()
    value = outputs[0] if second is not None else outputs
    grads = [v.grad for v in leaves]
    if executor == "python":  # the same float operations in the same order
        assert _same([value, *grads], [data, *expected])
    else:
        assert [value, *grads] == pytest.approx([data, *expected], rel=1e-12, nan_ok=True)


_MIXED = ["mul", "sum", "dot", "add", "relu", "plain_fma", "plain_sumsq"]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_products_sums_and_untemplated_ops(data: st.DataObject) -> None:
    with registry.temporary(NoTemplates, NoTemplatesVariadic):
        graph = data.draw(expression_graphs(_MIXED, max_leaves=4, max_nodes=14))
        leaves = [Value(x) for x in graph.leaves]
        out, expected, value, grads, _ = _eager_and_compiled(_graph_fn(graph, leaves), leaves)
    assert _same([value, *grads], [out, *expected])


@pytest.mark.parametrize("lead", [True, False])
@pytest.mark.parametrize("width", [2, 16])  # position by position, and one sum per row
def test_a_dense_layer_is_summed_in_place(lead: bool, width: int) -> None:
    ws = [[Value(0.1 * (i - j) + 0.05) for i in range(width)] for j in range(3)]
    bs = [Value(0.2 * j - 0.1) for j in range(3)]
    xs = [[Value(math.sin(s + i)) for i in range(width)] for s in range(4)]  # constants

    def fn() -> Value:
        outs = []
        for x in xs:
            for w, b in zip(ws, bs):
                terms = [wi * xi for wi, xi in zip(w, x)]
                outs.append(sum_values([b, *terms] if lead else terms).relu())
        reg = sum_values([w * w for w in leaves])  # a second run of contributions per weight
        return sum_values(outs) * 0.5 + reg * 1e-2

    leaves = [*(w for row in ws for w in row), *bs]
    data, expected, value, grads, program = _eager_and_compiled(fn, leaves)
    assert _same([value, *grads], [data, *expected])
    layer = "of products (2 per node) x 12" if width == 2 else "of products x 12"
    assert layer in program.source  # the layer's products never reach V


def test_products_read_elsewhere_are_kept() -> None:
    a, b, c = Value(1.5), Value(-2.0), Value(0.25)

    def fn() -> Any:
        shared = a * b  # read twice: by the sum and by the tanh
        out = sum_values([c, shared, b * c]) + shared.tanh()
        return out, b * c  # a second output that is itself a product

    program = compile(fn)
    assert "of products" not in program.source
    eager, second = fn()
    eager.backward()
    expected = [a.grad, b.grad, c.grad]
    a.grad = b.grad = c.grad = 0.0
    assert program.forward() == (eager.data, second.data)
    program.backward()
    assert [a.grad, b.grad, c.grad] == expected


def test_a_guarded_product_is_computed() -> None:
    w, x = Value(2.0), Value(3.0)

    def fn() -> Value:
        p = w * x
        total = sum_values([p, w * w])
        return total if p > 0 else -total  # the guard reads p, so p must be in V

    program = compile(fn)
    assert program.forward() == 10.0
    w.data = -2.0
    with pytest.raises(Exception, match="came out differently"):
        program.forward()


def test_a_node_with_many_contributions_alone_in_its_group() -> None:
    x = Value(0.3)
    cs = [Value(1.0 + 0.1 * i) for i in range(40)]

    def fn() -> Value:
        return sum_values([x * c for c in cs]).tanh()

    data, expected, value, grads, _ = _eager_and_compiled(fn, [x, *cs])
    assert _same([value, *grads], [data, *expected])


def test_nodes_without_a_path_to_the_output_get_zero() -> None:
    x, y = Value(0.5), Value(-1.5)

    def fn() -> Any:
        return x * 2.0, (x * y).relu() + y  # only the first output is differentiated

    program = compile(fn)
    program.forward()
    program.backward()
    assert (x.grad, y.grad) == (2.0, 0.0)


def test_sequential_sum_adds_left_to_right() -> None:
    # Compensated summation (Python 3.12's sum() of floats) would give 1.0 here.
    assert sequential_sum([1e16, 1.0, -1e16]) == 0.0
    assert sequential_sum(iter([0.5, 0.25]), 1.0) == 1.75
    assert math.copysign(1, sequential_sum([-0.0])) == 1.0  # 0 + -0.0, as sum() begins
    assert registry.get("sum").forward(1e16, 1.0, -1e16) == 0.0  # as micrograd's Values add


class SignOfGradient(Op):
    """Identity forward; a backward that shows the sign of its upstream gradient, zeros too."""

    name = "sign_of_g"
    arity = 1

    def forward(self, x: float) -> float:
        return x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (math.copysign(1.0, grad),)


def test_a_single_stored_contribution_is_added_to_zero() -> None:
    # relu's contribution 0.0 * g is -0.0 here; eager's gradient of v is 0.0 + -0.0 =
    # 0.0, so sign_of_g sends +1.0 to x. Sharing relu's stored -0.0 would send -1.0.
    x = Value(-1.0)
    with registry.temporary(SignOfGradient):
        fn = lambda: x.sign_of_g().relu() * -1.0  # noqa: E731
        data, expected, value, grads, _ = _eager_and_compiled(fn, [x])
    assert expected == [1.0]
    assert _same([value, *grads], [data, *expected])


def test_a_constant_read_by_every_node_of_a_chain() -> None:
    # c and d feed 600 nodes each, one consumer group per node: hundreds of runs, one sum.
    x, c, d = Value(0.3), Value(0.999), Value(0.001)

    def fn() -> Value:
        v = x
        for _ in range(600):
            v = v * c + d
        return v

    data, expected, value, grads, _ = _eager_and_compiled(fn, [x, c, d])
    assert _same([value, *grads], [data, *expected])


def test_a_negative_zero_bias_keeps_its_sign_in_both_modes() -> None:
    from helpers import dot_values

    b, w, x = Value(0.5), Value(0.5), Value(1.0)
    program = compile(lambda: dot_values(b, [w], [x]) ** -1)  # traced as sum(b, w*x)
    b.data = w.data = -0.0  # 0 + -0.0 + -0.0 * 1.0 is 0.0 in both modes: 1/0.0 = inf
    assert program.forward() == (dot_values(b, [w], [x]) ** -1).data == math.inf


def test_a_value_repeated_inside_one_dot() -> None:
    from helpers import dot_values

    ws, x = [Value(1.0), Value(1e16), Value(-1e16)], Value(1.0)
    bias = Value(0.0)
    data, expected, value, grads, _ = _eager_and_compiled(
        lambda: dot_values(bias, ws, [x, x, x]), [x, *ws]
    )
    assert _same([value, *grads], [data, *expected])  # the order of x's three contributions


class Sqrt(Op):
    """sqrt: its backward divides by its output."""

    name = "sqrt_plain"
    arity = 1

    def forward(self, x: float) -> float:
        return math.sqrt(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad / (2 * out),)


def test_no_backward_runs_for_a_node_without_gradient() -> None:
    a, z = Value(4.0), Value(0.0)
    with registry.temporary(Sqrt):
        fn = lambda: (apply("sqrt_plain", a), apply("sqrt_plain", z))  # noqa: E731
        program = compile(fn)  # one group of two nodes; only the first is differentiated
        program.forward()
        program.backward()  # eager calls no backward for sqrt(0): neither may compiled
    assert (a.grad, z.grad) == (0.25, 0.0)
