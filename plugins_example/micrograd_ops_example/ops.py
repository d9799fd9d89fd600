"""Three ops, each forward beside its derivative. Backward uses only arithmetic on its
arguments, so it also runs on Values and second derivatives work."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import Interval, Op


class Exp(Op):
    """e ** x (inf past x = 709.78 instead of raising OverflowError)."""

    name = "exp"
    arity = 1

    def forward(self, x: float) -> float:
        return math.exp(x) if x < 709.78 else math.inf

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out,)


class Log(Op):
    """Natural logarithm; -inf at 0 and NaN below, instead of raising."""

    name = "log"
    arity = 1
    domain = (Interval(0.0, math.inf, low_open=True),)

    def forward(self, x: float) -> float:
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad / x,)


class Sigmoid(Op):
    """1 / (1 + e ** -x), computed without overflow for large |x|."""

    name = "sigmoid"
    arity = 1

    def forward(self, x: float) -> float:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        z = math.exp(x)
        return z / (1.0 + z)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out * (1 - out),)
