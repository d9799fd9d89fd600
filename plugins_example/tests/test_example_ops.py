"""Tests of the example plugin, written the way a plugin author would: the entry point is
discovered, and micrograd_core.testing proves every op's gradients."""

from __future__ import annotations

import math
import sys

import pytest

from micrograd_core import Value, grad, registry
from micrograd_core.testing import check_op, check_point

OPS = ["exp", "log", "sigmoid"]


@pytest.mark.parametrize("name", OPS)
def test_discovered_through_the_entry_point(name: str) -> None:
    origin = registry.origin(name)
    assert origin.distribution == "micrograd-ops-example"
    assert origin.plugin == "example"


@pytest.mark.parametrize("name", OPS)
def test_gradients_are_right(name: str) -> None:
    result = check_op(name)  # first and second order, on hypothesis-drawn inputs
    assert result.ok
    assert "second order" in result.checks


def test_log_is_checked_only_inside_its_domain() -> None:
    # log declares x > 0; the checker samples tiny positive inputs too, never 0 or below
    assert check_op("log", max_magnitude=1e-6).ok


def test_known_points() -> None:
    check_point("sigmoid", [0.0])
    check_point("exp", [700.0])  # near overflow, still finite
    check_point("log", [1e-300])  # near the domain edge


def test_ops_appear_on_value() -> None:
    x = Value(0.5)
    y = x.sigmoid() * x.exp() + x.log()
    (dx,) = grad(y, [x])
    s = 1 / (1 + math.exp(-0.5))
    expected = s * (1 - s) * math.exp(0.5) + s * math.exp(0.5) + 1 / 0.5
    assert dx == pytest.approx(expected, rel=1e-12)


def test_exp_of_nan_is_nan() -> None:
    x = Value(math.nan)
    assert math.isnan(x.exp().data)  # was inf: `nan < 709.78` is False
    assert math.isnan(grad(x.exp(), [x])[0])


@pytest.mark.parametrize(
    ("x", "want"),
    [
        (709.781, 1.7946165138991433e308),  # was inf: overflow starts past log(DBL_MAX) only
        (math.log(sys.float_info.max), math.exp(math.log(sys.float_info.max))),
        (math.nextafter(math.log(sys.float_info.max), math.inf), math.inf),
        (710.0, math.inf),
        (math.inf, math.inf),
        (-math.inf, 0.0),
    ],
)
def test_exp_is_finite_until_it_overflows(x: float, want: float) -> None:
    v = Value(x)
    out = v.exp()
    assert out.data == want
    assert grad(out, [v]) == [want]


@pytest.mark.parametrize(
    ("x", "upstream", "want"),
    [(0.0, 1.0, math.inf), (-0.0, 1.0, -math.inf), (0.0, -2.0, -math.inf), (0.0, 0.0, math.nan)],
)
def test_log_derivative_at_zero_is_ieee_division(x: float, upstream: float, want: float) -> None:
    # was: OpContractError, backward raised ZeroDivisionError
    log = registry.get("log")
    (got,) = log.backward(upstream, log.forward(x), x)
    assert got == want or (math.isnan(want) and math.isnan(got))
    v = Value(x)
    assert grad(v.log(), [v]) == [math.copysign(math.inf, x)]
