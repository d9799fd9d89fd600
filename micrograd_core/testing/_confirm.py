"""A gradient mismatch is reported only once it is confirmed.

The first estimate uses the step of `_numeric.step_for`, relative to |x|. That is right for most
functions, but far too coarse for one that curves on a scale independent of |x|: a shift-invariant
`logsumexp` at x = 1e7 gets a step of 10, and the difference quotient over it is not the
derivative. Such an estimate may fail a correct gradient, or pass a wrong one (its own noise is
part of the tolerance). So a comparison that fails, or whose estimate is not sharp, is estimated
again at steps 4, 16, 64, ... times smaller, and the verdict follows the estimates that can be
trusted. With `tol` the tolerance at the estimate's own size, `atol + rtol * |numeric|` (so that
a huge analytic value cannot make a rough estimate look converged):

- an estimate is *quiet* when its round-off is at most half the comparison's tolerance
  (`atol + rtol * max(|analytic|, |numeric|)`); a noisy one is ignored, so noise never excuses a
  wrong gradient (a quiet estimate passes a wrong gradient only if it is wrong by under 1.5
  times the tolerance);
- a quiet estimate is *sharp* when it has converged: its steps h and h/2 agree to `tol / 2`
  beyond round-off, or it agrees to `tol / 2` with the quiet estimate at the previous, 4x
  larger step (the extrapolated values settle long before the raw difference quotients do);
- a sharp estimate that agrees with the analytic derivative clears a failure: the first
  estimate had not converged;
- a sharp estimate that agrees with the previous one and not with the analytic derivative
  confirms the mismatch: it persists as the step shrinks. Only that turns a pass into a failure;
- once round-off alone exceeds the tolerance, or forward gives the same float on both sides of
  a step where it did not at the first one (the step fell below the spacing of forward's
  intermediate values), smaller steps can only be noisier: the search stops, and the first
  verdict stands (a failure is reported with the last sharp estimate, if any; with none at all,
  the function jumps at this input, and `converged` is False).
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


@attrs.frozen
class _Step:
    comparison: Comparison
    quiet: bool
    settled: bool  # steps h and h/2 agree (beyond round-off)


def settle(
    first: Comparison,
    first_estimate: Estimate,
    estimate_at: Callable[[float], Estimate | None],
    tol: Tolerance,
    scale: float = 1.0,
) -> Settled:
    """Confirm or clear a comparison made from `first_estimate` (see the module docstring).
    `estimate_at(h)` is the finite-difference estimate at step h (None where it cannot be taken);
    `scale` multiplies estimates (the upstream gradient)."""
    step = _step(first, first_estimate, tol, scale)
    if first.ok and step.quiet and step.settled:
        return Settled(first, True)
    previous = step if step.quiet else None
    last_sharp = first if step.quiet and step.settled else None
    h = first.step
    for _ in range(MAX_REFINEMENTS):
        h /= SHRINK
        est = estimate_at(h)
        if est is None:
            break  # the step fell below the float spacing, or the function overflowed
        if est.flat and not first_estimate.flat:
            # forward gives the same float on both sides: the step fell below the spacing of
            # its intermediate values (b + w*x at b = 2**23 moves in steps of 2e-9), however
            # small its output. Nothing smaller can be trusted.
            break
        numeric, noise = scale * est.value, abs(scale) * est.noise
        allowed = tol.allowed(first.analytic, numeric, noise)
        step = _step(
            Comparison(first.label, first.analytic, numeric, h, allowed, noise), est, tol, scale
        )
        if not step.quiet:
            if abs(scale) * est.roundoff > tol.allowed(first.analytic, numeric):
                break
            previous = None
            continue
        c, own = step.comparison, tol.allowed(numeric, numeric)
        agrees = previous is not None and abs(previous.comparison.numeric - numeric) <= own / 2
        if step.settled or agrees:
            if c.ok:
                return Settled(c, True)
            last_sharp = c
            if agrees and previous is not None:
                # confirmed: the mismatch persists as the step shrinks. Show the larger step of
                # the two (less round-off), unless its own noise let it pass.
                shown = c if previous.comparison.ok else previous.comparison
                return Settled(shown, True)
        previous = step
    if first.ok:
        return Settled(first, True)  # no confirmed mismatch: the pass stands
    return Settled(last_sharp or first, last_sharp is not None)


def _step(c: Comparison, est: Estimate, tol: Tolerance, scale: float) -> _Step:
    base = tol.allowed(c.analytic, c.numeric)
    own = tol.allowed(c.numeric, c.numeric)
    quiet = abs(scale) * est.roundoff <= base / 2
    return _Step(c, quiet, abs(scale) * est.truncation <= own / 2)
