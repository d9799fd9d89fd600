"""Three ops, each forward beside its derivative. Each backward uses arithmetic on its arguments
and the functions of `micrograd_core.math` (never Python's `math`), so it also runs on Values
and second derivatives work."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import Op, Value, apply
from micrograd_core import math as mm


def _sigmoid(x: float) -> float:
    """1 / (1 + e ** -x) without overflow for large |x|."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class Sigmoid(Op):
    """1 / (1 + e ** -x), computed without overflow for large |x|."""

    name = "sigmoid"
    arity = 1

    def forward(self, x: float) -> float:
        return _sigmoid(x) if x == x else x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out * (1 - out),)


class Softplus(Op):
    """log(1 + e ** x), a smooth relu; x itself where e ** x would overflow the sum."""

    name = "softplus"
    arity = 1

    def forward(self, x: float) -> float:
        return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        # The sigmoid of x, as 1 - e ** -out: written with expm1 it keeps its precision where
        # the sigmoid is tiny, and its own derivative stays finite (1 / (1 + e ** -x) would
        # give inf * 0 at x = -710 when differentiated again).
        return (grad * -mm.expm1(-out),)


class Swish(Op):
    """x * sigmoid(x) (SiLU)."""

    name = "swish"
    arity = 1

    def forward(self, x: float) -> float:
        return x * _sigmoid(x) if x == x else x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        s = sigmoid(x)  # on Values, the sigmoid op: differentiable again
        return (grad * (s + x * s * (1 - s)),)


_SIGMOID = Sigmoid()


def sigmoid(x: Any) -> Any:
    """The sigmoid of a float, or the sigmoid op applied to a Value (for use in backwards)."""
    return apply(_SIGMOID, x) if isinstance(x, Value) else _SIGMOID.forward(x)
