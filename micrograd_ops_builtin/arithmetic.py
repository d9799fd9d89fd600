"""add, mul and the n-ary sum. Backward rules keep micrograd's operand order, so eager results
match micrograd float for float."""

from __future__ import annotations

from typing import Any

from micrograd_core import VARIADIC, Op


class Add(Op):
    """a + b"""

    name = "add"
    arity = 2
    # Optional fast paths (see micrograd_core._template): the same arithmetic, inlined.
    forward_source = "x0 + x1"
    backward_source = ("g", "g")

    def forward(self, a: float, b: float) -> float:
        return a + b

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return grad, grad


class Mul(Op):
    """a * b"""

    name = "mul"
    arity = 2
    forward_source = "x0 * x1"
    backward_source = ("x1 * g", "x0 * g")

    def forward(self, a: float, b: float) -> float:
        return a * b

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return b * grad, a * grad


class Sum(Op):
    """x1 + x2 + ... + xn as one node (a neuron's weighted sum is one node, not n)."""

    name = "sum"
    arity = VARIADIC
    forward_source = "sum(xs)"
    backward_source = ("g",)

    def forward(self, *xs: float) -> float:
        return sum(xs)  # left to right from 0, as micrograd's sum() of Values adds

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        return (grad,) * len(xs)
