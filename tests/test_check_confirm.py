"""Confirming a mismatch before reporting it (`_confirm.settle`), kinks that depend on the static
params, and singular points in several inputs."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import pytest
from user_ops import Atan2, Clamp

from micrograd_core import Op, OpValidationError, registry
from micrograd_core.testing import Comparison, Tolerance, check_op, check_point
from micrograd_core.testing._confirm import settle
from micrograd_core.testing._numeric import Estimate, central_difference

TOL = Tolerance()


def first(f: Any, x: float, analytic: float, h: float) -> tuple[Comparison, Estimate]:
    est = central_difference(f, [x], 0, h)
    assert est is not None
    allowed = TOL.allowed(analytic, est.value, est.noise)
    return Comparison("x0", analytic, est.value, h, allowed, est.noise), est


def softplus_shifted(v: list[float]) -> float:
    # log(1 + e**(x - 1e7)): curves on a scale of 1 wherever x is, as logsumexp does
    z = v[0] - 1e7
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def test_a_coarse_step_does_not_fail_a_right_gradient() -> None:
    x = 1e7 + 0.3
    right = 1 / (1 + math.exp(-0.3))
    c, est = first(softplus_shifted, x, right, h=10.0)  # eps * |x|: far too coarse
    assert not c.ok
    settled = settle(c, est, partial(central_difference, softplus_shifted, [x], 0), TOL)
    assert settled.comparison.ok and settled.converged
    assert settled.comparison.step < 1.0


def test_a_coarse_step_does_not_pass_a_wrong_gradient() -> None:
    x = 1e7 + 0.3
    wrong = 1.004 / (1 + math.exp(-0.3))  # 0.4% off
    c, est = first(softplus_shifted, x, wrong, h=1.0)
    assert c.ok  # the coarse estimate's own noise covers the bug
    settled = settle(c, est, partial(central_difference, softplus_shifted, [x], 0), TOL)
    assert not settled.comparison.ok and settled.converged


def test_noise_never_excuses_a_wrong_gradient() -> None:
    # every smaller step is noisy and happens to agree with the wrong value: it must not count
    noisy = Estimate(value=1.2, noise=5.0, step=1.0, roundoff=5.0, truncation=0.0)
    c = Comparison("x0", 1.2, 1.0, 1e-6, TOL.allowed(1.2, 1.0), 0.0)
    sharp_first = Estimate(value=1.0, noise=0.0, step=1e-6, roundoff=0.0, truncation=0.0)
    settled = settle(c, sharp_first, lambda h: noisy, TOL)
    assert not settled.comparison.ok and settled.converged


def test_a_jump_is_not_a_converged_mismatch() -> None:
    def step(v: list[float]) -> float:
        return 1.0 if v[0] >= 0.5 else 0.0

    c, est = first(step, 0.5, 0.0, h=1e-6)
    settled = settle(c, est, partial(central_difference, step, [0.5], 0), TOL)
    assert not settled.comparison.ok and not settled.converged


class StaticKinkClamp(Clamp):
    """The same clamp with its kinks written as constants: right for lo=-1, hi=1 only."""

    name = "u_clamp_static"
    kinks = (-1.0, 1.0)


def test_kinks_may_depend_on_the_params() -> None:
    with registry.temporary(Clamp, StaticKinkClamp):
        spec = registry.spec("u_clamp")
        assert spec.kinks_of(1, {"lo": 2.0, "hi": 5.0}) == ((2.0, 5.0),)
        assert check_op("u_clamp", max_examples=300).ok
        # constant kinks are right for lo=-1, hi=1 only: elsewhere the checker hits the real ones
        static = check_op("u_clamp_static", max_examples=300, raise_on_failure=False)
    failure = static.failure
    assert failure is not None and failure.params != {"lo": -1.0, "hi": 1.0}
    assert failure.inputs[0] in (failure.params["lo"], failure.params["hi"])


class Atan2NoSingular(Atan2):
    name = "u_atan2_plain"
    singular = ()


def test_a_singular_point_in_several_inputs() -> None:
    with registry.temporary(Atan2, Atan2NoSingular):
        assert registry.spec("u_atan2").singular_of(2) == ((0.0, 0.0),)
        declared = check_op("u_atan2", max_examples=300)
        assert check_point("u_atan2", [1e-7, 0.0]).ok  # next to the singular point
        # Without it there is no false alarm either (at (1e-7, 0) smaller steps settle on the
        # right derivative), but inputs right next to the origin get steps far larger than their
        # distance to it, and some never settle within float precision: inconclusive there,
        # where the declared op's steps shrink with the distance and every input is decided.
        assert check_point("u_atan2_plain", [1e-7, 0.0]).ok
        plain = check_op("u_atan2_plain", max_examples=300)
    assert declared.inconclusive == 0
    assert plain.inconclusive > 0
    assert "inconclusive within float precision" in plain.report()


def _op(**attrs: Any) -> type[Op]:
    base: dict[str, Any] = {
        "name": "u_geom",
        "arity": 2,
        "forward": lambda self, a, b: a * b,
        "backward": lambda self, g, out, a, b: (g * b, g * a),
    }
    return type("Geom", (Op,), {**base, **attrs})


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"singular": ((0.0,),)}, "1 coordinate"),
        ({"singular": (0.0, 0.0)}, "sequence of points"),
        ({"singular": (("a", 0.0),)}, "sequence of points"),
        ({"kinks": lambda self: 1 / 0}, "raised ZeroDivisionError"),
        ({"kinks": lambda self: "abc"}, "sequence of numbers"),
        ({"singular": lambda self: ((1.0,),)}, "1 coordinate"),
    ],
)
def test_bad_kinks_or_singular_points_are_rejected(attrs: dict[str, Any], message: str) -> None:
    with pytest.raises(OpValidationError, match=message):
        registry.register(_op(**attrs), plugin="unit-test")


def test_callable_singular_points_of_the_params() -> None:
    class Shifted(Op):
        name = "u_shifted_hypot"
        arity = 2
        params = ("c",)
        param_examples = ({"c": 3.0}, {"c": -2.0})

        def singular(self, c: float) -> tuple[tuple[float, float]]:
            return ((c, c),)

        def forward(self, a: float, b: float, c: float) -> float:
            return math.hypot(a - c, b - c)

        def backward(self, grad: Any, out: Any, a: Any, b: Any, c: float) -> tuple[Any, Any]:
            return grad * (a - c) / out, grad * (b - c) / out

    with registry.temporary(Shifted):
        assert registry.spec("u_shifted_hypot").singular_of(2, {"c": -2.0}) == ((-2.0, -2.0),)
        assert check_op("u_shifted_hypot", max_examples=200).ok
