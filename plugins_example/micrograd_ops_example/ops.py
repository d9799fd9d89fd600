"""Three ops, each forward beside its derivative. Backward uses only arithmetic on its
arguments, so it also runs on Values and second derivatives work."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import Interval, Op


def _div(a: Any, b: Any) -> Any:
    """a / b, with IEEE results where Python raises for a float 0 divisor: +-inf for a
    nonzero a (the sign of the zero counts), NaN for 0 / 0. Values divide as they are."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


class Exp(Op):
    """e ** x; inf where it overflows (past log(DBL_MAX) = 709.78...) instead of raising."""

    name = "exp"
    arity = 1

    def forward(self, x: float) -> float:
        try:
            return math.exp(x)  # NaN stays NaN, exp(-inf) is 0 and exp(inf) is inf
        except OverflowError:
            return math.inf

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out,)


class Log(Op):
    """Natural logarithm; -inf at 0 and NaN below, instead of raising; its derivative 1 / x is
    +-inf at 0 (IEEE division, as in PyTorch)."""

    name = "log"
    arity = 1
    domain = (Interval(0.0, math.inf, low_open=True),)

    def forward(self, x: float) -> float:
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (_div(grad, x),)


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
