"""Whole-graph fuzz: hypothesis builds random expression graphs from every registered op (shared
sub-expressions included) and `check_graph` compares their gradients, first and second order,
with finite differences of the whole graph."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from micrograd_core import Op, Value, grad, registry
from micrograd_core.testing import (
    ExprGraph,
    GradientCheckError,
    GraphNode,
    check_graph,
    expression_graphs,
)


# At least 150 graphs (more under HYPOTHESIS_PROFILE=deep).
@settings(max_examples=max(150, settings.default.max_examples))
@given(expression_graphs(max_leaves=3, max_nodes=8))
def test_random_graphs_of_all_ops_match_finite_differences(graph: ExprGraph) -> None:
    result = check_graph(graph)
    assert result.ok
    assert "second order" in result.checks  # every registered op supports it


@settings(max_examples=30)
@given(expression_graphs(max_leaves=2, max_nodes=12, higher_order_only=True))
def test_bigger_graphs_second_order(graph: ExprGraph) -> None:
    check_graph(graph, second_order=True)


@given(expression_graphs())
def test_graph_inputs_stay_in_their_domains(graph: ExprGraph) -> None:
    assert graph.signature(graph.leaves) is not None
    values = graph.values(graph.leaves)
    _leaves, out = graph.build()
    assert math.isclose(out.data, values[-1], rel_tol=1e-12, abs_tol=1e-300)
    assert len(graph.nodes) <= 8 + 1


def test_generated_graphs_share_nodes() -> None:
    graph = find(expression_graphs(), lambda g: g.shared() >= 2 and len(g.nodes) >= 4)
    assert graph.shared() >= 2


def test_accumulation_through_a_shared_node() -> None:
    # v1 = tanh(x); v2 = v1 * v1; v3 = sum(v1, v2, v1): v1 feeds three edges
    graph = ExprGraph(
        (0.7,),
        (
            GraphNode("tanh", (0,)),
            GraphNode("mul", (1, 1)),
            GraphNode("sum", (1, 2, 1)),
        ),
    )
    assert graph.shared() == 1
    check_graph(graph)
    leaves, out = graph.build()
    (dx,) = grad(out, leaves)
    t = math.tanh(0.7)
    assert dx == pytest.approx((2 + 2 * t) * (1 - t * t), rel=1e-12)


def test_backward_accumulates_like_grad_on_random_graphs() -> None:
    @given(expression_graphs(max_nodes=6))
    def run(graph: ExprGraph) -> None:
        leaves, out = graph.build()
        expected = grad(out, leaves)
        out.backward()
        for leaf, g in zip(leaves, expected):
            assert leaf.grad == pytest.approx(g, rel=1e-12, abs=1e-300)

    run()


class _BadTanh(Op):
    """tanh whose derivative is 1% off, to prove graph checks can fail."""

    name = "bad_tanh"
    arity = 1

    def forward(self, x: float) -> float:
        return math.tanh(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (1.01 * (1 - out * out) * grad,)


def test_graph_check_catches_a_wrong_op_inside_a_graph() -> None:
    with registry.temporary(_BadTanh):
        graph = find(
            expression_graphs(ops=["bad_tanh", "mul", "add"]),
            lambda g: any(n.op == "bad_tanh" for n in g.nodes),
        )
        with pytest.raises(GradientCheckError) as info:
            check_graph(graph)
    report = str(info.value)
    assert "gradient mismatch" in report and "bad_tanh(" in report


def test_a_graph_never_steps_across_a_kink() -> None:
    # relu(x - 1e-9 * ...) right next to its kink: the finite difference for x would cross 0,
    # so that comparison is dropped instead of reported as a false failure.
    graph = ExprGraph((1e-9,), (GraphNode("relu", (0,)),))
    assert check_graph(graph).ok


@given(st.floats(-3, 3).filter(lambda x: abs(x) > 0.05))
def test_graph_of_builtin_chain(x: float) -> None:
    graph = ExprGraph(
        (x,),
        (
            GraphNode("pow", (0,), {"exponent": 2}),
            GraphNode("tanh", (1,)),
            GraphNode("mul", (2, 0)),
        ),
    )
    check_graph(graph)
    _leaves, out = graph.build()
    assert isinstance(out, Value)
