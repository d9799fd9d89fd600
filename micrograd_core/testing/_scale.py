"""Is a finite-difference step small compared to the function's own scale?

A difference quotient over a step that spans several of the function's wiggles says nothing about
its derivative: sin's quotients over 49 and over 12 at x = 49116833 are both close to 0 and agree
with each other, so they look converged. The scale is judged by the analytic derivative a, which
for a correct op is the function's derivative: the central difference is the mean of a over
[x - h, x + h], and is within the tolerance of a(x) when a is nearly quadratic there with a small
even part. So the quadratic through a(x) and a(x +- h) must predict a inside the step (at
x +- h/2, where the estimate also looks, and at irrational fractions of h, which a step close to
a multiple of a period cannot alias as well), and its even part must be small. For a wrong
backward this judges the wrong derivative; that only decides which steps may confirm a mismatch
(see `_confirm`), never whether one is cleared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

#: Where `resolves` looks inside a step, as fractions of it: x +- h/2, and two that share no
#: period with it (1 / golden ratio and its square).
INSIDE = (0.5, -0.5, 0.6180339887498949, -0.3819660112501051)


def resolves(
    derivative: Callable[[list[float]], float],
    xs: Sequence[float],
    i: int,
    scale: float,
    bound: float,
    h: float,
) -> bool:
    """Does the analytic `derivative` (of input i, at an input list), times `scale` (the
    upstream gradient), stay within `bound` (half the tolerance) of a quadratic over
    [x - h, x + h]?"""

    def at(t: float) -> float:
        v = list(xs)
        v[i] = xs[i] + t
        return derivative(v)

    try:
        a0, p1, m1 = at(0.0), at(h), at(-h)
        odd, even = (p1 - m1) / 2, (p1 + m1) / 2 - a0
        worst = abs(even)
        for r in INSIDE:
            worst = max(worst, abs(at(r * h) - (a0 + odd * r + even * r * r)))
    except Exception:  # backward fails next to x: nothing is known about the scale there
        return False
    return scale * worst <= bound  # False for NaN
