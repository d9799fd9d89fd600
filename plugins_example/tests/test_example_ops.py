"""Tests of the example plugin, written the way a plugin author would: the entry point is
discovered, and micrograd_core.testing proves every op's gradients."""

from __future__ import annotations

import math

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
