"""Correct ops a plugin author writes from the docs alone (softplus, gelu, atan2, a variadic
logsumexp, a clamp with static `lo`/`hi`, asin, a clip and hypot): the checker must never flag
them. Shared by the false-alarm tests and `tests/measure_false_alarms.py`."""

from __future__ import annotations

import math
from typing import Any

from micrograd_core import VARIADIC, Interval, Op

SQRT_2 = math.sqrt(2.0)
SQRT_2PI = math.sqrt(2.0 * math.pi)


def _sigmoid(x: Any) -> Any:
    # plain arithmetic, so it also runs on Values (second order); no overflow either side
    if x >= 0:
        return 1 / (1 + math.e ** (-x))
    z = math.e**x
    return z / (1 + z)


class Softplus(Op):
    """log(1 + e ** x), without overflow."""

    name = "u_softplus"
    arity = 1

    def forward(self, x: float) -> float:
        return max(x, 0.0) + math.log1p(math.exp(-abs(x)))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * _sigmoid(x),)


class Gelu(Op):
    """x * Phi(x), the exact GELU; backward uses math.erf, so floats only."""

    name = "u_gelu"
    arity = 1
    higher_order = False

    def forward(self, x: float) -> float:
        return 0.5 * x * (1.0 + math.erf(x / SQRT_2))

    def backward(self, grad: float, out: float, x: float) -> tuple[float]:
        cdf = 0.5 * (1.0 + math.erf(x / SQRT_2))
        pdf = math.exp(-0.5 * x * x) / SQRT_2PI
        return (grad * (cdf + x * pdf),)


class Atan2(Op):
    """atan2(y, x): singular at the origin only, and a branch cut (a jump in y) along x < 0."""

    name = "u_atan2"
    arity = 2
    singular = ((0.0, 0.0),)
    kinks = ((0.0,), ())

    def forward(self, y: float, x: float) -> float:
        return math.atan2(y, x)

    def backward(self, grad: Any, out: Any, y: Any, x: Any) -> tuple[Any, Any]:
        r2 = x * x + y * y
        return grad * x / r2, -grad * y / r2


class LogSumExp(Op):
    """log(sum(e ** x)), shifted by the max: exactly as the issue's plugin author wrote it."""

    name = "u_logsumexp"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        m = max(xs)
        return m + math.log(math.fsum(math.exp(x - m) for x in xs))

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        return tuple(grad * math.e ** (x - out) for x in xs)


class Clamp(Op):
    """min(max(x, lo), hi); its kinks are the params."""

    name = "u_clamp"
    arity = 1
    params = ("lo", "hi")
    param_examples = ({"lo": -1.0, "hi": 1.0}, {"lo": 2.0, "hi": 5.0}, {"lo": -1e3, "hi": -2.5})

    def kinks(self, lo: float, hi: float) -> tuple[float, float]:
        return (lo, hi)

    def forward(self, x: float, lo: float, hi: float) -> float:
        return min(max(x, lo), hi)

    def backward(self, grad: Any, out: Any, x: Any, lo: float, hi: float) -> tuple[Any]:
        return (grad * (1.0 if lo < x < hi else 0.0),)


class Asin(Op):
    """asin on the closed interval [-1, 1]; its derivative blows up at both ends."""

    name = "u_asin"
    arity = 1
    domain = (Interval(-1.0, 1.0),)

    def forward(self, x: float) -> float:
        return math.asin(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (1 - x * x) ** -0.5,)


class Clip(Op):
    """Clamp to [-1, 1]: two kinks away from zero."""

    name = "u_clip"
    arity = 1
    kinks = (-1.0, 1.0)

    def forward(self, x: float) -> float:
        return max(-1.0, min(1.0, x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (1.0 if -1 < x < 1 else 0.0),)


class Hypot(Op):
    """sqrt(a*a + b*b), singular at the origin only."""

    name = "u_hypot"
    arity = 2
    singular = ((0.0, 0.0),)

    def forward(self, a: float, b: float) -> float:
        return math.hypot(a, b)

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return grad * a / out, grad * b / out


USER_OPS: tuple[type[Op], ...] = (Softplus, Gelu, Atan2, LogSumExp, Clamp, Asin, Clip, Hypot)
