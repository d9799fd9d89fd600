"""Tests of the example plugin, written the way a plugin author would: the entry point is
discovered, and micrograd_core.testing proves every op's gradients to second order."""

from __future__ import annotations

import math

import pytest

from micrograd_core import Value, grad, registry
from micrograd_core.testing import check_op, check_point

OPS = ["sigmoid", "softplus", "swish"]


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


def test_known_points() -> None:
    check_point("sigmoid", [0.0])
    check_point("softplus", [700.0])  # where e ** x is near overflow
    check_point("swish", [-3.5])


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def test_ops_appear_on_value() -> None:
    x = Value(0.5)
    y = x.sigmoid() * x.softplus() + x.swish()
    (dx,) = grad(y, [x])
    s = _sigmoid(0.5)
    sp = math.log1p(math.exp(0.5))
    expected = s * (1 - s) * sp + s * s + (s + 0.5 * s * (1 - s))
    assert dx == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("x0", [-2.0, 0.3, 4.0])
def test_backwards_written_with_micrograd_math_differentiate_again(x0: float) -> None:
    x = Value(x0)
    (d1,) = grad(x.softplus(), [x], create_graph=True)  # sigmoid(x), as a graph
    (d2,) = grad(d1, [x])
    s = _sigmoid(x0)
    assert d1.data == pytest.approx(s, rel=1e-14)
    assert d2 == pytest.approx(s * (1 - s), rel=1e-12)  # 0 if the graph had been cut


def test_large_inputs_stay_finite() -> None:
    assert Value(800.0).softplus().data == 800.0
    assert Value(-800.0).softplus().data == 0.0
    assert Value(-800.0).swish().data == -0.0 or Value(-800.0).swish().data == 0.0
    assert math.isnan(Value(math.nan).sigmoid().data)
