"""tanh and relu."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import Op


class Tanh(Op):
    """Hyperbolic tangent; stable for any finite input (tanh(1e308) is 1.0, not NaN)."""

    name = "tanh"
    arity = 1

    def forward(self, x: float) -> float:
        return math.tanh(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return ((1 - out * out) * grad,)


class Relu(Op):
    """max(0, x); its derivative at 0 is taken as 0, as in micrograd and PyTorch."""

    name = "relu"
    arity = 1
    kinks = (0.0,)

    def forward(self, x: float) -> float:
        return 0.0 if x < 0 else x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        # PyTorch's threshold_backward: an exact 0 where out <= 0, even for an infinite or NaN
        # upstream gradient (0 * inf would be NaN); where out is NaN, the gradient passes.
        return (0.0 if out <= 0 else grad,)
