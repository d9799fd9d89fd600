"""Graph builders the tests share: the n-ary `sum` and a neuron's `dot`, through `apply`."""

from __future__ import annotations

from collections.abc import Sequence

from micrograd_core import Value, apply


def sum_values(values: Sequence[Value]) -> Value:
    """One `sum` node over `values`."""
    return apply("sum", *values)


def dot_values(bias: Value, ws: Sequence[Value], xs: Sequence[Value]) -> Value:
    """`bias + ws[0]*xs[0] + ...` as one `dot` node (bias, weights, inputs)."""
    return apply("dot", bias, *ws, *xs)
