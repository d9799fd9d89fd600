"""exp, expm1, log, log1p, sqrt, sin, cos: the elementary functions `micrograd_core.math` applies
to Values. Each backward is written with those functions, so it differentiates to any order."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import Interval, Op
from micrograd_core import math as mm

_POSITIVE = Interval(0.0, math.inf, low_open=True)


def _div(a: Any, b: Any) -> Any:
    """a / b with IEEE results where Python raises for a float 0 divisor: +-inf for a nonzero a
    (the sign of the zero counts), nan for 0 / 0. Values divide as they are."""
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
            return math.exp(x)  # nan stays nan, exp(-inf) is 0 and exp(inf) is inf
        except OverflowError:
            return math.inf

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out,)


class Expm1(Op):
    """e ** x - 1, accurate for small x; inf where e ** x overflows."""

    name = "expm1"
    arity = 1

    def forward(self, x: float) -> float:
        try:
            return math.expm1(x)
        except OverflowError:
            return math.inf

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (out + 1),)


class Log(Op):
    """Natural logarithm; -inf at 0 and nan below, instead of raising; its derivative 1 / x is
    +-inf at 0 (IEEE division, as in PyTorch)."""

    name = "log"
    arity = 1
    domain = (_POSITIVE,)

    def forward(self, x: float) -> float:
        if x > 0:
            return math.log(x)
        return -math.inf if x == 0 else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (_div(grad, x),)


class Log1p(Op):
    """log(1 + x), accurate for small x; -inf at -1 and nan below."""

    name = "log1p"
    arity = 1
    domain = (Interval(-1.0, math.inf, low_open=True),)

    def forward(self, x: float) -> float:
        if x > -1:
            return math.log1p(x)
        return -math.inf if x == -1 else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (_div(grad, 1 + x),)


class Sqrt(Op):
    """The square root; nan below 0 (sqrt(-0.0) is -0.0, as IEEE says)."""

    name = "sqrt"
    arity = 1
    domain = (_POSITIVE,)

    def forward(self, x: float) -> float:
        return math.sqrt(x) if x >= 0 else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (_div(grad, 2 * out),)


class Sin(Op):
    """The sine; nan at +-inf instead of raising."""

    name = "sin"
    arity = 1

    def forward(self, x: float) -> float:
        return math.sin(x) if math.isfinite(x) else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * mm.cos(x),)


class Cos(Op):
    """The cosine; nan at +-inf instead of raising."""

    name = "cos"
    arity = 1

    def forward(self, x: float) -> float:
        return math.cos(x) if math.isfinite(x) else math.nan

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (-(grad * mm.sin(x)),)
