"""Random graphs of the builtin ops against an independent oracle: forward-mode dual numbers
(first order) and hyper-dual numbers (second order) from tests/dual.py, which share no code with
the engine and have no step size. test_graph_fuzz.py checks every registered op against finite
differences, which need a loose tolerance; this checks the builtin ops' gradients through
`grad`, `backward()` and `backward(create_graph=True)`, and the second derivatives of
`grad(create_graph=True)`, to within rounding.

The graphs come from `expression_graphs` (derandomized in CI, 300 of them);
`pytest tests/test_graph_oracle.py --fuzz-examples 20000` runs a longer fuzz.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from dual import Dual, HyperDual
from hypothesis import given, settings

from micrograd_core import Value, grad
from micrograd_core.testing import ExprGraph, GraphNode, expression_graphs

#: pow's exponents are its param_examples (2, 3, -1, 0.5); pow_var's base stays positive and
#: relu's input a relative 1e-2 away from 0 (the generator keeps inputs off domains and kinks).
OPS = ["add", "dot", "mul", "pow", "pow_var", "relu", "sum", "tanh"]
DEFAULT_EXAMPLES = 300
#: Reverse and forward mode round differently; both are exact otherwise. Each comparison allows
#: this much relative to the largest magnitude the sum involves (see `_scale`).
RTOL = 1e-9


def _evaluate(graph: ExprGraph, leaves: Sequence[Any]) -> Any:
    """The graph's output on oracle numbers, straight from each op's definition."""
    values = list(leaves)
    for node in graph.nodes:
        xs = [values[a] for a in node.args]
        if node.op == "add":
            y = xs[0] + xs[1]
        elif node.op == "mul":
            y = xs[0] * xs[1]
        elif node.op == "sum":
            y = xs[0]
            for x in xs[1:]:
                y = y + x
        elif node.op == "dot":  # [bias,] weights, inputs
            bias, n = len(xs) % 2, len(xs) // 2
            y = xs[0] if bias else 0.0
            for w, x in zip(xs[bias : bias + n], xs[bias + n :]):
                y = w * x + y
        elif node.op == "pow":
            y = xs[0] ** node.params["exponent"]
        elif node.op == "pow_var":
            y = xs[0] ** xs[1]
        elif node.op == "tanh":
            y = xs[0].tanh()
        elif node.op == "relu":
            y = xs[0].relu()
        else:  # pragma: no cover - OPS lists every op the graphs use
            raise AssertionError(node.op)
        values.append(y)
    return values[-1]


def _first(graph: ExprGraph) -> list[float]:
    xs = graph.leaves
    return [
        _evaluate(graph, [Dual(x, float(i == j)) for i, x in enumerate(xs)]).d
        for j in range(len(xs))
    ]


def _second(graph: ExprGraph) -> list[list[float]]:
    xs, n = graph.leaves, len(graph.leaves)
    return [
        [
            _evaluate(
                graph, [HyperDual(x, float(k == i), float(k == j)) for k, x in enumerate(xs)]
            ).d
            for j in range(n)
        ]
        for i in range(n)
    ]


def _scale(graph: ExprGraph) -> float:
    """A magnitude for rounding errors: the largest |value| or |derivative| in the graph."""
    return max(1.0, *(abs(x) for x in graph.values(graph.leaves)))


def _close(got: float, want: float, scale: float) -> bool:
    return math.isclose(got, want, rel_tol=RTOL, abs_tol=RTOL * scale)


def _check(graph: ExprGraph) -> None:
    first, second = _first(graph), _second(graph)
    scale = max(_scale(graph), *map(abs, first), *(abs(h) for row in second for h in row))

    def agree(path: str, got: Sequence[float], want: Sequence[float]) -> None:
        ok = all(_close(g, w, scale) for g, w in zip(got, want, strict=True))
        assert ok, f"{path}: {list(got)}, the oracle: {list(want)}, in the graph {graph}"

    leaves, out = graph.build()
    agree("grad", grad(out, leaves), first)
    out.backward()
    agree("backward()", [leaf.grad for leaf in leaves], first)

    leaves, out = graph.build()
    gs = grad(out, leaves, create_graph=True)
    agree("grad(create_graph=True)", [g.data for g in gs], first)
    for i, g in enumerate(gs):
        agree(f"second order, row {i}", grad(g, leaves), second[i])

    leaves, out = graph.build()
    out.backward(create_graph=True)
    # a leaf the output does not depend on keeps its float 0.0
    dx = [leaf.grad if isinstance(leaf.grad, Value) else Value(leaf.grad) for leaf in leaves]
    agree("backward(create_graph=True)", [g.data for g in dx], first)
    for i, g in enumerate(dx):
        agree(f"second order through .grad, row {i}", grad(g, leaves), second[i])


@pytest.fixture
def fuzz_examples(request: pytest.FixtureRequest) -> int:
    n = request.config.getoption("--fuzz-examples")
    return DEFAULT_EXAMPLES if n is None else int(n)


def _run(examples: int, check: Callable[[ExprGraph], None]) -> None:
    @settings(max_examples=examples)
    @given(expression_graphs(OPS, max_leaves=3, max_nodes=10))
    def run(graph: ExprGraph) -> None:
        check(graph)

    run()


def test_gradients_of_random_graphs_match_dual_numbers(fuzz_examples: int) -> None:
    _run(fuzz_examples, _check)


def test_the_oracle_is_right_and_strict() -> None:
    # tanh(x * y): the oracle's derivatives are the textbook ones, and the comparison fails
    # for an answer off by a part in 1e8.
    graph = ExprGraph((0.7, -1.3), (GraphNode("mul", (0, 1)), GraphNode("tanh", (2,))))
    first, second = _first(graph), _second(graph)
    t = math.tanh(0.7 * -1.3)
    s = 1 - t * t
    assert first == pytest.approx([-1.3 * s, 0.7 * s], rel=1e-15)
    assert second[0][0] == pytest.approx(-1.3 * -1.3 * -2 * t * s, rel=1e-14)
    assert second[0][1] == second[1][0] == pytest.approx(s + 0.7 * -1.3 * -2 * t * s, rel=1e-14)
    assert not _close(first[0] * (1 + 1e-8), first[0], _scale(graph))
    _check(graph)
