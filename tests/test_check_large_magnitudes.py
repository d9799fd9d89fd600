"""Correct ops are never flagged at large magnitudes, and bugs are still caught.

`sin` and `cos` were flagged at |x| from about 1 to 1e8 (sin at x = 49116833, where the first step
eps * |x| = 49 spans eight periods): the difference quotients over such steps are near 0 and agree
with each other, so they looked converged. The checker now accepts a mismatch only at steps where
the analytic derivative is steady (the step is small compared to the function's scale) and where
no smaller step moves it; where float precision allows no such step (sin at 1e15, where floats are
0.125 apart), the derivative is inconclusive, not wrong.
"""

from __future__ import annotations

import math
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_check_planted_bugs import WrongSin
from user_ops import LogSumExp

from micrograd_core import Op, registry
from micrograd_core.testing import Comparison, Tolerance, check_op, check_point
from micrograd_core.testing._confirm import settle
from micrograd_core.testing._numeric import central_difference, terms_size

TOL = Tolerance()
# (min_magnitude, max_magnitude): the range that flagged sin and cos, and far beyond it
RANGES = [(1.0, 1e8), (1e7, 1e15)]


@pytest.mark.parametrize("name", ["sin", "cos"])
@pytest.mark.parametrize("magnitudes", RANGES, ids=lambda m: f"{m[0]:g}-{m[1]:g}")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sin_and_cos_pass_at_large_magnitudes(
    name: str, magnitudes: tuple[float, float], seed: int
) -> None:
    low, high = magnitudes
    result = check_op(name, max_examples=150, seed=seed, min_magnitude=low, max_magnitude=high)
    assert result.ok, result.report()
    if high <= 1e8:  # float precision resolves sin there: every derivative is compared
        assert result.inconclusive == 0


@pytest.mark.parametrize("name", ["sin", "cos"])
@pytest.mark.parametrize("x", [49116833.0, -49116833.0, 3e8, 1e10, 1e12, 1e15, 7.3e15, 1e300])
def test_sin_and_cos_at_single_large_points(name: str, x: float) -> None:
    result = check_point(name, [x], raise_on_failure=False)
    assert result.ok, result.report()


def test_what_float_precision_decides_is_decided() -> None:
    # up to a few 1e9 smaller steps reach the derivative: it is compared, not left inconclusive
    for x in (49116833.0, 1e9, 2e9):
        assert check_point("sin", [x]).inconclusive == 0
    # at 1e15 floats are 0.125 apart and sin is known only to about |cos(x)| times that
    far = check_point("sin", [1e15])
    assert far.inconclusive > 0
    assert "inconclusive within float precision" in far.report()


@pytest.mark.parametrize("magnitudes", RANGES, ids=lambda m: f"{m[0]:g}-{m[1]:g}")
def test_a_user_logsumexp_passes_at_large_magnitudes(magnitudes: tuple[float, float]) -> None:
    low, high = magnitudes
    with registry.temporary(LogSumExp):
        for seed in (0, 1):
            r = check_op("u_logsumexp", max_examples=100, seed=seed, min_magnitude=low,
                         max_magnitude=high)  # fmt: skip
            assert r.ok, r.report()
        for xs in ([1e12] * 3, [1e15, 1e15 + 0.25], [-3e14] * 5):
            assert check_point("u_logsumexp", xs).ok


class SinShifted(Op):
    """sin whose backward takes the cosine of the wrong argument: cos(x + 0.1)."""

    name = "pb_sin_shift"
    arity = 1
    higher_order = False

    def forward(self, x: float) -> float:
        return math.sin(x)

    def backward(self, grad: float, out: float, x: float) -> tuple[float]:
        return (grad * math.cos(x + 0.1),)


@pytest.mark.parametrize("op", [WrongSin, SinShifted], ids=lambda op: op.__name__)
def test_a_bug_in_a_sin_like_op_at_moderate_magnitudes_is_caught(op: type[Op]) -> None:
    with registry.temporary(op):
        result = check_op(op.name, raise_on_failure=False, second_order=False)
    failure = result.failure
    assert failure is not None and failure.kind == "gradient mismatch", result.report()
    assert failure.converged


def test_a_bug_is_caught_at_large_magnitudes_where_precision_allows() -> None:
    # at 4.9e7 the first step spans eight periods; smaller ones resolve sin, and show the bug
    with registry.temporary(WrongSin):
        for x in (49116833.0, 1e7 + 0.3):
            bad = check_point("pb_sin", [x], raise_on_failure=False, second_order=False)
            assert bad.failure is not None and bad.failure.kind == "gradient mismatch"
            assert bad.failure.comparisons[0].step < 1.0  # shown at a step that resolves sin


def _sin_comparison(x: float, analytic: float) -> tuple[Comparison, Any, Any]:
    def f(v: list[float]) -> float:
        return math.sin(v[0])

    terms = terms_size([x], [math.cos(x)])
    h = TOL.eps * abs(x)
    est = central_difference(f, [x], 0, h, terms)
    assert est is not None
    c = Comparison("x0", analytic, est.value, h, TOL.allowed(analytic, est.value, est.noise))
    return c, est, partial(central_difference, f, [x], 0, terms=terms)


def _cos_steady(x: float, h: float) -> bool:
    values = [math.cos(x + t) for t in (0.0, h, -h, h / 2, -h / 2)]
    return max(values) - min(values) <= TOL.allowed(math.cos(x), math.cos(x)) / 2


def test_quotients_that_agree_near_0_over_many_periods_confirm_nothing() -> None:
    # the first estimate over a step of 1e9 is sharp (steps h and h/2 agree to 1e-9): without
    # knowing the function's scale, it would confirm a mismatch with cos(x)
    x = 1e15
    c, est, estimate_at = _sin_comparison(x, math.cos(x))
    assert not c.ok and abs(c.numeric) < 1e-6
    settled = settle(c, est, estimate_at, TOL, steady=partial(_cos_steady, x))
    assert settled.inconclusive and not settled.comparison.ok
    # the same first estimate, taken as resolved, is a confirmed mismatch (the old verdict)
    unknown_scale = settle(c, est, estimate_at, TOL)
    assert not unknown_scale.inconclusive and not unknown_scale.comparison.ok


def test_a_candidate_that_moves_at_smaller_steps_is_dropped() -> None:
    # at 4.9e7 estimates at steps 49 and 12 agree near 0; steps below 1 reach cos(x)
    x = 49116833.0
    c, est, estimate_at = _sin_comparison(x, math.cos(x))
    assert not c.ok
    settled = settle(c, est, estimate_at, TOL)  # even with no scale information
    assert settled.comparison.ok and settled.converged and settled.comparison.step < 1.0


def test_check_graph_counts_what_float_precision_cannot_decide() -> None:
    from micrograd_core.testing import ExprGraph, GraphNode, check_graph

    huge = check_graph(ExprGraph((3e12,), (GraphNode("sin", (0,)),)), raise_on_failure=False)
    assert huge.ok and huge.inconclusive == 2  # first and second order: not compared, counted
    assert "2 derivatives inconclusive" in huge.report()
    small = check_graph(ExprGraph((0.3,), (GraphNode("sin", (0,)),)), raise_on_failure=False)
    assert small.ok and small.inconclusive == 0 and small.max_used > 0
