"""Finite differences that never step across a kink or out of an op's domain, and the tolerance
they are compared with.

The step for input x is `eps * min(max(|x|, 1), d)`, where `d` is the distance from x to the
nearest *singular point* of that input (a declared kink or a finite domain bound), or from the
whole input to the nearest point the op declares `singular` in several inputs at once (atan2's
(0, 0)), whichever is nearer. So:

- the step is relative for large |x| (a fixed step would drown in round-off at x = 1e6),
- it shrinks near a singular point, staying `1 / eps` (a million) times smaller than the distance
  to it: central differences never cross a kink nor leave the domain, and the truncation error
  near a pole such as log's 0 stays far below the tolerance.

An estimate also carries its own uncertainty, which is added to the allowed error: the round-off
of its subtraction (comparing `1 - tanh(20)**2` with a difference of two numbers that are both
1.0 to the last bit is not a gradient bug) and the disagreement between steps h and h/2 (where
the function curves too fast for the step, as `x ** 44965` near 1 does). A comparison that still
fails is estimated again at smaller steps before it is reported (`_confirm`).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Sequence

import attrs

from .._op import Interval

#: Default central-difference step, relative (see the module docstring). float64 throughout.
EPS = 1e-6
#: Default absolute tolerance: errors below this never fail a check.
ATOL = 1e-5
#: Default relative tolerance, against the larger of |analytic| and |numeric|.
RTOL = 1e-3
#: A sampled point keeps at least this relative distance from every singular point.
GAP = 1e-4
# Round-off of one function evaluation, generously: a few ulps of the values subtracted.
_ROUNDOFF = 16 * sys.float_info.epsilon


@attrs.frozen
class Tolerance:
    """How close analytic and numeric derivatives must be: `|a - n| <= atol + rtol * max(|a|, |n|)
    + noise`, where `noise` is the round-off of the finite difference itself."""

    eps: float = EPS
    atol: float = ATOL
    rtol: float = RTOL

    def __attrs_post_init__(self) -> None:
        for name in ("eps", "atol", "rtol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"tolerance {name} must be a finite number >= 0, got {v!r}")
        if not 0 < self.eps < 0.1:
            raise ValueError(f"eps must be in (0, 0.1), got {self.eps!r}")

    def allowed(self, analytic: float, numeric: float, noise: float = 0.0) -> float:
        return self.atol + self.rtol * max(abs(analytic), abs(numeric)) + noise


@attrs.frozen
class Comparison:
    """One analytic derivative against its finite-difference estimate."""

    label: str  # "x0", or "d(grad x0)/dx1" for second order
    analytic: float
    numeric: float
    step: float
    allowed: float
    noise: float = 0.0  # the uncertainty of `numeric` itself (part of `allowed`)

    @property
    def abs_error(self) -> float:
        if math.isnan(self.analytic) or math.isnan(self.numeric):
            return math.nan
        if self.analytic == self.numeric:
            return 0.0
        return abs(self.analytic - self.numeric)

    @property
    def rel_error(self) -> float:
        scale = max(abs(self.analytic), abs(self.numeric))
        return 0.0 if scale == 0 else self.abs_error / scale

    @property
    def used(self) -> float:
        """The fraction of the allowed error this comparison used (above 1 fails)."""
        if self.abs_error == 0:
            return 0.0
        return self.abs_error / self.allowed if self.allowed > 0 else math.inf

    @property
    def ok(self) -> bool:
        return self.abs_error <= self.allowed  # False for NaN


def singular_points(interval: Interval, kinks: Iterable[float]) -> tuple[float, ...]:
    """The kinks and finite bounds of one input: where finite differences must not reach."""
    bounds = (b for b in (interval.low, interval.high) if math.isfinite(b))
    return tuple(sorted({*map(float, kinks), *map(float, bounds)}))


def usable(
    x: float,
    interval: Interval,
    singular: Sequence[float],
    min_magnitude: float,
    max_magnitude: float,
) -> bool:
    """Is x a point where the checker may sample: finite, 0 or between the magnitudes, strictly
    inside the domain and at a relative distance of at least `GAP` from every singular point?"""
    if not math.isfinite(x) or abs(x) > max_magnitude or 0 < abs(x) < min_magnitude:
        return False
    if not (interval.low < x < interval.high):
        return False
    return all(abs(x - s) > GAP * max(abs(s), abs(x)) for s in singular)


def joint_distance(xs: Sequence[float], points: Iterable[Sequence[float]]) -> float:
    """The Euclidean distance from the input `xs` to the nearest of the op's joint singular
    points (inf if it declares none)."""
    return min((math.dist(xs, p) for p in points), default=math.inf)


def usable_jointly(xs: Sequence[float], points: Iterable[Sequence[float]]) -> bool:
    """Is `xs` at a relative distance of at least `GAP` from every joint singular point?"""
    size = math.hypot(*xs)
    return all(math.dist(xs, p) > GAP * max(math.hypot(*p), size) for p in points)


def step_for(x: float, singular: Sequence[float], eps: float, joint: float = math.inf) -> float:
    """The central-difference step for input x (see the module docstring); `joint` is the
    distance of the whole input to the nearest joint singular point."""
    distance = min(min((abs(x - s) for s in singular), default=math.inf), joint)
    return eps * min(max(abs(x), 1.0), distance)


@attrs.frozen
class Estimate:
    value: float  # the numeric derivative
    noise: float  # its uncertainty: round-off plus the disagreement of steps h and h/2
    step: float
    roundoff: float = 0.0  # the round-off part of `noise` alone
    # how far steps h and h/2 disagree beyond round-off: large until the step is small enough
    truncation: float = 0.0
    flat: bool = False  # f took the same value on both sides, at both steps


def central_difference(
    f: Callable[[list[float]], float],
    xs: Sequence[float],
    i: int,
    h: float,
    terms: float = 0.0,
) -> Estimate | None:
    """d f / d xs[i] by central differences at steps h and h/2, combined by Richardson
    extrapolation; the disagreement of the two steps is added to `noise`, so a point where
    finite differences have not converged (strong curvature) loosens the check instead of
    failing it. None where f is not finite at some x +- h (overflow).

    `terms` is the size of what f adds up on the way, `sum(|x_j * df/dx_j|)`: f's round-off is
    a few ulps of that when it exceeds |f|, as when terms cancel (`b + w*x` at b = 2**23 and
    w*x = 2 - b is 2, but known to 2e-9 only)."""
    coarse = _central(f, xs, i, h, terms)
    fine = _central(f, xs, i, h / 2, terms) if coarse is not None else None
    if coarse is None or fine is None:
        return None
    value = fine[0] + (fine[0] - coarse[0]) / 3
    noise = 2 * fine[1] + abs(fine[0] - coarse[0])
    if not (math.isfinite(value) and math.isfinite(noise)):
        return None
    truncation = max(0.0, abs(fine[0] - coarse[0]) - 2 * fine[1])
    flat = coarse[0] == 0.0 and fine[0] == 0.0
    return Estimate(value, noise, h, 2 * fine[1], truncation, flat)


def terms_size(xs: Sequence[float], gradient: Sequence[float]) -> float:
    """`sum(|x_j * g_j|)`: the size of the terms a function with this gradient adds up at xs
    (its condition), which its round-off scales with. Non-finite products count as 0, and so
    does a sum that overflows: then |f| alone sets the round-off, as it is near overflow too."""
    total = 0.0
    for x, g in zip(xs, gradient):
        term = abs(x * g)
        total += term if math.isfinite(term) else 0.0  # no fsum: it raises on overflow
    return total if math.isfinite(total) else 0.0


def _central(
    f: Callable[[list[float]], float], xs: Sequence[float], i: int, h: float, terms: float
) -> tuple[float, float] | None:
    up, down = list(xs), list(xs)
    up[i] = xs[i] + h
    down[i] = xs[i] - h
    width = up[i] - down[i]  # the step that float rounding actually took
    if not width > 0:
        return None
    f_up, f_down = _finite_call(f, up), _finite_call(f, down)
    if f_up is None or f_down is None:
        return None
    size = max(abs(f_up), terms) + max(abs(f_down), terms)
    return (f_up - f_down) / width, _ROUNDOFF * size / width


def _finite_call(f: Callable[[list[float]], float], xs: list[float]) -> float | None:
    try:
        y = float(f(xs))
    except (OverflowError, ZeroDivisionError):
        return None
    return y if math.isfinite(y) else None


def same_float(a: float, b: float) -> bool:
    """Bit-for-bit equality that also treats NaN as equal to NaN (for determinism checks)."""
    return a == b or (math.isnan(a) and math.isnan(b))
