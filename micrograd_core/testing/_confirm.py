"""A gradient mismatch is reported only once it is confirmed down to float precision.

The first estimate uses the step of `_numeric.step_for`, relative to |x|. That is right for most
functions, but far too coarse for one that curves on a scale independent of |x|: a shift-invariant
`logsumexp` at x = 1e7 gets a step of 10, and `sin` at x = 5e7 a step of 50, eight periods. The
difference quotient over such a step is not the derivative, and it can look converged when it is
not: sin's quotients over 50 and 25 are both about `cos(x) * sin(h) / h`, near 0, and agree with
each other to within the absolute tolerance (and at 1e15 every step with little enough round-off
spans thousands of periods). So a comparison that fails, or whose estimate is not
sharp, is estimated again at steps 4, 16, 64, ... times smaller, *down to the smallest step that
float precision allows*, and the verdict follows the estimates that can be trusted. With `tol`
the tolerance at the estimate's own size, `atol + rtol * |numeric|`:

- an estimate is *quiet* when its round-off is at most half the comparison's tolerance
  (`atol + rtol * max(|analytic|, |numeric|)`); a noisy one is ignored, so noise never excuses a
  wrong gradient (a quiet estimate passes a wrong gradient only if it is wrong by under 1.5
  times the tolerance). Round-off counts forward's terms (`_numeric.central_difference`): sin at
  x is known only to about `|x * cos(x)|` ulps, as x itself is rounded;
- a quiet estimate is *sharp* when it has converged: its steps h and h/2 agree to `tol / 2`
  beyond round-off, or it agrees to `tol / 2` with the quiet estimate at the previous, 4x
  larger step;
- a sharp estimate that agrees with the analytic derivative clears a failure: the first
  estimate had not converged;
- a sharp estimate that disagrees with the analytic derivative is a *candidate* mismatch, if
  its step is small compared to the function's own scale: `steady(h)`, which `_scale.resolves`
  answers from the analytic derivative inside the step (sin's quotients over 50 and 25 are
  sharp, yet cos varies over those steps as much as it can). Every later quiet estimate must
  agree with the candidate, to its tolerance plus the later one's round-off: one at a smaller
  step that moved away from it shows that it had not converged after all, and the candidate is
  dropped. A mismatch is *confirmed* when its candidate survives to the end of the search;
- the search ends when round-off alone exceeds the tolerance, when forward gives the same float
  on both sides of a step where it did not at the first one (the step fell below the spacing of
  forward's intermediate values), or after `MAX_REFINEMENTS`.

A first comparison that fails and is neither confirmed nor cleared is:

- a failure with `converged` False when every estimate was quiet yet none was ever sharp down to
  the smallest step: finite differences are precise here, and the function still jumps at this
  input (a branch, an undeclared kink);
- otherwise *inconclusive*: float precision does not determine the derivative at this input (sin
  at 1e15, where the spacing of floats is 0.125 and forward is known only to about `|cos(x)|`
  times that). An inconclusive comparison is no failure; the check counts it and moves on.

A first comparison that passes stands unless a mismatch is confirmed.
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
    """The comparison to report, whether finite differences converged to its `numeric`, and
    whether the point is inconclusive (no trustworthy estimate within float precision)."""

    comparison: Comparison
    converged: bool
    inconclusive: bool = False


@attrs.frozen
class _Step:
    comparison: Comparison
    quiet: bool
    settled: bool  # steps h and h/2 agree (beyond round-off)
    roundoff: float  # scaled like the comparison's numeric


@attrs.frozen
class _Candidate:
    """A sharp estimate that disagrees with the analytic derivative, at a step where that
    derivative is steady."""

    shown: Comparison
    value: float


def settle(
    first: Comparison,
    first_estimate: Estimate,
    estimate_at: Callable[[float], Estimate | None],
    tol: Tolerance,
    scale: float = 1.0,
    steady: Callable[[float], bool] | None = None,
) -> Settled:
    """Confirm or clear a comparison made from `first_estimate` (see the module docstring).
    `estimate_at(h)` is the finite-difference estimate at step h (None where it cannot be taken);
    `scale` multiplies estimates (the upstream gradient); `steady(h)` says whether step h is
    small compared to the function's own scale (`_scale.resolves`; None: assume it is)."""
    resolved = steady or (lambda h: True)
    step = _step(first, first_estimate, tol, scale)
    if first.ok and step.quiet and step.settled:
        return Settled(first, True)
    previous = step if step.quiet else None
    sharp = step.quiet and step.settled
    candidate = _Candidate(first, first.numeric) if sharp and resolved(first.step) else None
    all_quiet, ever_sharp, exhausted = step.quiet, sharp, True
    h = first.step
    for _ in range(MAX_REFINEMENTS):
        h /= SHRINK
        est = estimate_at(h)
        if est is None or (est.flat and not first_estimate.flat):
            # the step fell below the float spacing (of x, or of forward's intermediate values:
            # b + w*x at b = 2**23 moves in steps of 2e-9), or forward overflowed
            exhausted = False
            break
        numeric, noise = scale * est.value, abs(scale) * est.noise
        allowed = tol.allowed(first.analytic, numeric, noise)
        step = _step(
            Comparison(first.label, first.analytic, numeric, h, allowed, noise), est, tol, scale
        )
        if not step.quiet:
            all_quiet = False
            if step.roundoff > tol.allowed(first.analytic, numeric):
                exhausted = False  # round-off alone exceeds the tolerance: nothing smaller helps
                break
            previous = None
            continue
        c = step.comparison
        if candidate is not None:
            moved = abs(numeric - candidate.value)
            if moved > tol.allowed(candidate.value, numeric) + step.roundoff:
                candidate = None  # the candidate's step was larger than the function's scale
        agrees = (
            previous is not None
            and abs(previous.comparison.numeric - numeric) <= tol.allowed(numeric, numeric) / 2
        )
        if step.settled or agrees:
            ever_sharp = True
            if c.ok:
                return Settled(c, True)
            if candidate is None and resolved(h):
                # show the larger step of an agreeing pair (less round-off), unless its own
                # noise let it pass
                larger = previous.comparison if agrees and previous is not None else c
                if larger.ok or not resolved(larger.step):
                    larger = c
                candidate = _Candidate(larger, numeric)
        previous = step
    if candidate is not None:
        return Settled(candidate.shown, True)  # persisted down to float precision
    if first.ok:
        return Settled(first, True)  # no confirmed mismatch: the pass stands
    if all_quiet and exhausted and not ever_sharp:
        return Settled(first, False)  # precise, yet never settles: f jumps here
    return Settled(first, False, inconclusive=True)


def _step(c: Comparison, est: Estimate, tol: Tolerance, scale: float) -> _Step:
    base = tol.allowed(c.analytic, c.numeric)
    own = tol.allowed(c.numeric, c.numeric)
    roundoff = abs(scale) * est.roundoff
    return _Step(c, roundoff <= base / 2, abs(scale) * est.truncation <= own / 2, roundoff)
