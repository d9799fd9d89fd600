"""Powers: `x ** c` with a constant exponent (micrograd's pow) and `x ** y` with both inputs
differentiable. Float results follow IEEE 754 instead of raising: 0 ** -1 is inf, a negative
base to a fractional power is NaN (Python would give a complex number)."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import REALS, Interval, Op, Value, apply

_POSITIVE = Interval(0.0, math.inf, low_open=True)


def _is_odd_int(k: float) -> bool:
    return float(k).is_integer() and int(k) % 2 == 1


def _fpow(x: float, k: float) -> float:
    try:
        r = x**k
    except ZeroDivisionError:  # 0 ** negative
        return math.copysign(math.inf, x) if _is_odd_int(k) else math.inf
    except OverflowError:
        return -math.inf if x < 0 and _is_odd_int(k) else math.inf
    return math.nan if isinstance(r, complex) else r


def power(x: Any, k: Any) -> Any:
    """x ** k on floats (IEEE results) or on Values (builds the graph)."""
    if isinstance(x, Value) or isinstance(k, Value):
        return x**k
    return _fpow(x, k)


class _Ln(Op):
    """Natural log, used privately by pow_var's backward so that second derivatives through a
    Value exponent need no plugin. Applied by object, never registered."""

    name = "ln"
    arity = 1
    domain = (_POSITIVE,)

    def forward(self, x: float) -> float:
        return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad / x,)


_LN = _Ln()


def ln(x: Any) -> Any:
    return apply(_LN, x) if isinstance(x, Value) else _LN.forward(x)


class Pow(Op):
    """x ** c for a constant exponent c, a static parameter (micrograd's `x ** 2`)."""

    name = "pow"
    arity = 1
    params = ("exponent",)
    param_examples = ({"exponent": 2}, {"exponent": 3}, {"exponent": -1}, {"exponent": 0.5})

    def domain(self, exponent: float) -> tuple[Interval]:
        # Negative bases only have real powers for integer exponents; 0 is a pole below 0.
        return (REALS,) if float(exponent).is_integer() and exponent >= 0 else (_POSITIVE,)

    def forward(self, x: float, exponent: float) -> float:
        return _fpow(x, exponent)

    def backward(self, grad: Any, out: Any, x: Any, exponent: float) -> tuple[Any]:
        if exponent == 0:  # d/dx x**0 is 0 everywhere, including at x = 0
            return (0.0 * grad,)
        return ((exponent * power(x, exponent - 1)) * grad,)


class PowVar(Op):
    """x ** y with both differentiable; the gradient with respect to y is NaN for x < 0."""

    name = "pow_var"
    arity = 2
    domain = (_POSITIVE, REALS)

    def forward(self, x: float, y: float) -> float:
        return _fpow(x, y)

    def backward(self, grad: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
        return (y * power(x, y - 1)) * grad, (out * ln(x)) * grad
