"""Powers: `x ** c` with a constant exponent (micrograd's pow) and `x ** y` with both inputs
differentiable. Float results follow IEEE 754 (C's `pow`, as numpy and PyTorch do) instead of
raising: 0 ** -1 is inf, a negative base to a fractional power is NaN (Python would give a
complex number), an overflow is +-inf and an underflow +-0. An integer exponent stays exact, so
`(-0.5) ** (10**400 + 1)` is -0.0 (the parity of an exponent too large for a float still decides
the sign). Gradients follow PyTorch's masks: d/dx x**0 is 0, and d/dy x**y is 0 at x = 0, y >= 0.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from micrograd_core import REALS, Interval, Op, ParamError, Value, registry
from micrograd_core import math as mm

_POSITIVE = Interval(0.0, math.inf, low_open=True)
_EXACT = 2**53  # every integer up to this converts to a float exactly, parity included


def _is_odd_int(k: float) -> bool:
    return float(k).is_integer() and int(k) % 2 == 1


def _magnitude(a: float, k: float) -> float:
    """a ** k for a >= 0 (or NaN) and a float k: only 0 ** negative and overflow raise."""
    try:
        return a**k
    except (ZeroDivisionError, OverflowError):
        return math.inf


def _pow_by_parts(x: float, k: float | int) -> float:
    """x ** k where Python raises, answers with a complex number, or would round an integer
    exponent: the magnitude |x| ** k, then the sign (negative for a negative base, -0.0
    included, raised to an odd integer)."""
    if type(k) is int:
        odd = k % 2 == 1
        kf = _float_exponent(k)
    else:
        if x < 0 and math.isfinite(x) and math.isfinite(k) and not float(k).is_integer():
            return math.nan  # real powers of a negative base need an integer exponent
        odd = _is_odd_int(k) if math.isfinite(k) else False
        kf = k
    mag = _magnitude(abs(x), kf)
    return -mag if odd and math.copysign(1.0, x) < 0 else mag


def _beyond_floats(k: float | int) -> bool:
    """Whether `k` is an integer too large in magnitude for a float."""
    return type(k) is int and not -_EXACT <= k <= _EXACT and math.isinf(_float_exponent(k))


def _float_exponent(k: int) -> float:
    """An integer exponent as a float; beyond the float range, +-inf (then |x| ** k is
    0, 1 or inf, which is what the exact power rounds to)."""
    try:
        return float(k)
    except OverflowError:
        return math.inf if k > 0 else -math.inf


def _fpow(x: float, k: float | int) -> float:
    if type(k) is float or (type(k) is int and -_EXACT <= k <= _EXACT):
        try:
            r = x**k
        except (ZeroDivisionError, OverflowError):
            return _pow_by_parts(x, k)
        return math.nan if type(r) is complex else r
    return _pow_by_parts(x, k)



def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def exponent_of(op: Any, k: Any) -> float | int:
    """pow's static exponent as an exact int or a float; `ParamError` naming the op for
    anything that is not a real number (a string, a complex number, a Value)."""
    if type(k) is int or type(k) is float:
        return k
    if isinstance(k, Integral):
        return int(k)  # numpy integers, bool
    if isinstance(k, Real):
        return float(k)  # numpy floats (their exact value), Fraction
    raise ParamError(
        op,
        registry.plugin_of(op),
        f"static param 'exponent' must be a real number, got {type(k).__name__} {k!r}",
    )


# The gradients on floats, as functions a fast path can call: `grad_*(g, ...)` is the upstream
# gradient `g` times the derivative, with PyTorch's masks (an exact 0, not 0 * inf = NaN).
def grad_pow(g: float, x: float, k: float | int) -> float:
    """d/dx x ** k, times g."""
    if k == 0:  # 0 everywhere, including at x = 0
        return 0.0
    p = _fpow(x, k - 1)
    if _beyond_floats(k):
        # k * x**(k-1) for an integer k beyond the float range: x**(k-1) is 0, +-1, +-inf or
        # NaN, and the exact product rounds to 0 or +-inf (never inf * 0 = NaN).
        return (p * _huge_factor(p, k)) * g
    return (k * p) * g


def grad_pow_var_x(g: float, x: float, y: float) -> float:
    """d/dx x ** y, times g: 0 where y == 0 (at x = 0 too, where y * x**(y-1) is 0 * inf)."""
    return 0.0 if y == 0 else (y * _fpow(x, y - 1)) * g


def grad_pow_var_y(g: float, out: float, x: float, y: float) -> float:
    """d/dy x ** y, times g: 0 * g where x == 0 and y >= 0 (0 ** y is 0 for y > 0, not
    0 * log(0) = NaN); NaN for x < 0, where log x is."""
    return 0.0 * g if x == 0 and y >= 0 else (out * mm.log(x)) * g


def _huge_factor(p: float, k: int) -> float:
    factor = 0.0 if p == 0 else math.inf
    return factor if k > 0 else -factor


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
        return _fpow(x, exponent_of(self, exponent))

    def backward(self, grad: Any, out: Any, x: Any, exponent: float) -> tuple[Any]:
        k = exponent_of(self, exponent)
        if not isinstance(x, Value):
            return (grad_pow(grad, x, k),)
        if k == 0:  # create_graph: the same rules, building the graph of the gradient
            return (0.0,)
        p = x ** (k - 1)
        if _beyond_floats(k):
            return ((p * _huge_factor(p.data, k)) * grad,)
        return ((k * p) * grad,)


class PowVar(Op):
    """x ** y with both differentiable; the gradient with respect to y is NaN for x < 0."""

    name = "pow_var"
    arity = 2
    domain = (_POSITIVE, REALS)

    def forward(self, x: float, y: float) -> float:
        return _fpow(x, y)

    def backward(self, grad: Any, out: Any, x: Any, y: Any) -> tuple[Any, Any]:
        if not isinstance(x, Value):
            return grad_pow_var_x(grad, x, y), grad_pow_var_y(grad, out, x, y)
        # create_graph: the same masks, except that d/dx keeps its graph at y == 0 where that
        # graph's value is the masked 0 anyway: its derivative with respect to y (1 / x) is
        # finite there and must reach the next order. Where it is not 0 (x = 0 or NaN, an
        # infinite upstream gradient: 0 * inf is NaN) the mask wins, so every mode gives the
        # same first order.
        xd, yd = x.data, _data(y)
        gx: Any = (y * x ** (y - 1)) * grad
        if yd == 0 and _data(gx) != 0.0:  # NaN too
            gx = 0.0
        gy = 0.0 * grad if xd == 0 and yd >= 0 else (out * mm.log(x)) * grad  # the log op
        return gx, gy
