"""add, mul, the n-ary sum and dot (a neuron's weighted sum). Backward rules keep micrograd's
operand order, so eager results match micrograd float for float."""

from __future__ import annotations

from operator import mul
from typing import Any

from micrograd_core import VARIADIC, Op, sequential_sum


class Add(Op):
    """a + b"""

    name = "add"
    arity = 2

    def forward(self, a: float, b: float) -> float:
        return a + b

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return grad, grad


class Mul(Op):
    """a * b"""

    name = "mul"
    arity = 2

    def forward(self, a: float, b: float) -> float:
        return a * b

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return b * grad, a * grad


class Sum(Op):
    """x1 + x2 + ... + xn as one node (a neuron's weighted sum is one node, not n)."""

    name = "sum"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        # left to right from 0, as micrograd's sum() of Values adds (builtin sum() compensates
        # rounding from Python 3.12)
        return sequential_sum(xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        return (grad,) * len(xs)


class Dot(Op):
    """b + w0*x0 + w1*x1 + ... as one node: a neuron's weighted sum, in micrograd's order.

    Inputs: the bias `b` (when the count is odd), then the n weights, then the n inputs:
    dot(b) = b, dot(w, x) = w*x, dot(b, w0, w1, x0, x1) = b + w0*x0 + w1*x1. Eager mode then
    builds one node per neuron instead of a mul per weight plus a sum.
    """

    name = "dot"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        bias, n = len(xs) % 2, len(xs) // 2
        # From 0, then the bias, as the sum op adds. micrograd starts from the bias itself,
        # which differs only in the sign of a zero (-0.0 bias, all terms -0.0).
        start = 0.0 + xs[0] if bias else 0.0
        return sequential_sum(map(mul, xs[bias : bias + n], xs[bias + n :]), start)

    def backward(self, grad: Any, out: Any, *xs: Any) -> list[Any]:
        bias, n = len(xs) % 2, len(xs) // 2
        ws, inputs = xs[bias : bias + n], xs[bias + n :]
        return [grad] * bias + [x * grad for x in inputs] + [w * grad for w in ws]
