"""A gradient mismatch is reported only once it is confirmed.

The first estimate uses the step of `_numeric.step_for`, relative to |x|. That is right for most
functions, but far too coarse for one that curves on a scale independent of |x|: a shift-invariant
`logsumexp` at x = 1e7 gets a step of 10, and the difference quotient over it is not the
derivative. So a comparison that fails is estimated again at steps 4, 16, 64, ... times smaller,
and the verdict follows the estimates that can be trusted:

- an estimate is *sharp* when steps h and h/2 agree (beyond round-off) to half the tolerance at
  the estimate's own size, `atol + rtol * |numeric|` (so a huge analytic value cannot make a
  rough estimate look converged), and its round-off is at most half the tolerance: a sharp
  estimate passes a wrong gradient only if it is wrong by under 1.5 times the tolerance. Other
  estimates are ignored: a noisy estimate never excuses a wrong gradient;
- a sharp estimate that agrees with the analytic derivative clears it: the first estimate had
  not converged;
- two sharp estimates in a row (a 4x smaller step) that agree with each other and not with the
  analytic derivative confirm the mismatch: it persists as the step shrinks;
- once round-off alone exceeds the tolerance, smaller steps can only be noisier: the search
  stops, and the failure stands (reported with the last sharp estimate, if any, else the first).
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ._numeric import Comparison, Estimate, Tolerance

#: Each refinement divides the step by this.
SHRINK = 4.0
#: At most this many refinements (the step ends 4**14, about 2.7e8, times smaller).
MAX_REFINEMENTS = 14


@attrs.frozen
class Settled:
    """The comparison to report, and whether finite differences converged to its `numeric`."""

    comparison: Comparison
    converged: bool


def settle(
    first: Comparison,
    estimate_at: Callable[[float], Estimate | None],
    tol: Tolerance,
    scale: float = 1.0,
) -> Settled:
    """Confirm or clear a comparison. `estimate_at(h)` is the finite-difference estimate at step
    h (None where it cannot be taken); `scale` multiplies it (the upstream gradient)."""
    if first.ok:
        return Settled(first, True)
    analytic, h = first.analytic, first.step
    previous: Comparison | None = None  # the last estimate, if it was sharp
    last_sharp: Comparison | None = None
    for _ in range(MAX_REFINEMENTS):
        h /= SHRINK
        est = estimate_at(h)
        if est is None:
            break  # the step fell below the float spacing, or the function overflowed
        numeric, noise = scale * est.value, abs(scale) * est.noise
        base = tol.allowed(analytic, numeric)
        own = tol.allowed(numeric, numeric)  # the tolerance at the estimate's own size
        c = Comparison(first.label, analytic, numeric, h, base + noise, noise)
        sharp = abs(scale) * est.truncation <= own / 2 and abs(scale) * est.roundoff <= base / 2
        if sharp:
            if c.ok:
                return Settled(c, True)
            if previous is not None and abs(previous.numeric - numeric) <= own / 2:
                return Settled(c, True)
            previous = last_sharp = c
        else:
            previous = None  # "in a row": a noisy estimate breaks the run
            if abs(scale) * est.roundoff > base:
                break
    return Settled(last_sharp or first, False)
