"""One planted bug of each kind the checker must catch and diagnose right, including the ones it
used to miss or misdiagnose: a bug at exactly 4 inputs or at 6 and more (variadic ops were checked
at 1, 2, 3 and 5 inputs only), a clamp wrong on (hi, hi + 0.5) (reported as a second-order problem
with the wrong hint), a 1% error in logsumexp at large magnitudes (where a correct logsumexp was
flagged, so the fix must not hide a real bug there).

    python tests/test_check_planted_bugs.py

prints the table of what each report said (the closing note of issue 14 quotes it).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from user_ops import Clamp, LogSumExp

from micrograd_core import Interval, Op, registry
from micrograd_core import math as mm
from micrograd_core.testing import CheckResult, check_op, check_point


class WrongSign(Op):
    """tanh whose backward has the wrong sign."""

    name = "pb_sign"
    arity = 1

    def forward(self, x: float) -> float:
        return math.tanh(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (-grad * (1 - out * out),)


class WrongFactor(LogSumExp):
    """logsumexp 1% off, on inputs above 1e5 only (where a correct one used to be flagged)."""

    name = "pb_factor"
    domain = (Interval(1e5, math.inf, low_open=True),)

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        return tuple(1.01 * g for g in super().backward(grad, out, *xs))


class WrongAtFour(LogSumExp):
    """logsumexp with half the gradient at exactly 4 inputs."""

    name = "pb_four"

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        gs = super().backward(grad, out, *xs)
        return tuple(0.5 * g for g in gs) if len(xs) == 4 else gs


class WrongFromSix(LogSumExp):
    """logsumexp with two gradients swapped from 6 inputs on."""

    name = "pb_six"

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        gs = super().backward(grad, out, *xs)
        return (gs[1], gs[0], *gs[2:]) if len(xs) >= 6 else gs  # two gradients swapped


class WrongPastKink(Op):
    """Leaky relu (slope 0.01 below 0) whose backward uses slope 0.1 there."""

    name = "pb_kink"
    arity = 1
    kinks = (0.0,)

    def forward(self, x: float) -> float:
        return x if x > 0 else 0.01 * x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (1.0 if x > 0 else 0.1),)


class ClampHalfOpen(Clamp):
    """The clamp of the issue: gradient 1 on (hi, hi + 0.5) where it must be 0."""

    name = "pb_clamp"

    def backward(self, grad: Any, out: Any, x: Any, lo: float, hi: float) -> tuple[Any]:
        return (grad * (1.0 if lo < x < hi + 0.5 else 0.0),)


class WrongSin(Op):
    """sin whose backward is 1% off, 1.01 * cos(x) (a correct sin was flagged at large
    magnitudes: the fix must not hide a bug at moderate ones)."""

    name = "pb_sin"
    arity = 1

    def forward(self, x: float) -> float:
        return math.sin(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * 1.01 * mm.cos(x),)


class DetachesViaFloat(Op):
    """sigmoid whose backward turns `out` into a float: right on floats, detached on Values."""

    name = "pb_float"
    arity = 1

    def forward(self, x: float) -> float:
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        s = float(out)
        return (grad * s * (1 - s),)


LARGE = {"max_magnitude": 1e8}
# (op, check_op keywords, the kind the report must give, whether found by second order)
CASES: list[tuple[type[Op], dict[str, Any], set[str], bool]] = [
    (WrongSign, {}, {"gradient mismatch"}, False),
    (WrongFactor, LARGE, {"gradient mismatch"}, False),
    (WrongAtFour, {}, {"gradient mismatch"}, False),
    (WrongFromSix, {}, {"gradient mismatch"}, False),
    (WrongPastKink, {}, {"gradient mismatch"}, False),
    (ClampHalfOpen, {}, {"gradient mismatch"}, False),
    (WrongSin, {}, {"gradient mismatch"}, False),
    # "backward raised" once float() on a Value raises under create_graph=True (issue 14, item 2)
    (DetachesViaFloat, {}, {"second-order mismatch", "backward raised"}, True),
]


def run(op: type[Op], kwargs: dict[str, Any]) -> CheckResult:
    with registry.temporary(op):
        return check_op(op.name, raise_on_failure=False, **kwargs)


@pytest.mark.parametrize(
    ("op", "kwargs", "kinds", "second"), CASES, ids=lambda v: getattr(v, "__name__", None)
)
def test_planted_bug_is_caught_and_diagnosed(
    op: type[Op], kwargs: dict[str, Any], kinds: set[str], second: bool
) -> None:
    result = run(op, kwargs)
    failure = result.failure
    assert failure is not None and failure.kind in kinds, result.report()
    assert failure.second_order is second
    assert failure.converged  # a formula is wrong: estimates settled, on a value that disagrees
    plain_arithmetic_hint = "plain arithmetic" in failure.hint
    assert plain_arithmetic_hint is (failure.kind == "second-order mismatch")


def test_arity_bugs_are_found_at_their_arity() -> None:
    four = run(WrongAtFour, {}).failure
    six = run(WrongFromSix, {}).failure
    assert four is not None and len(four.inputs) == 4
    assert six is not None and len(six.inputs) >= 6


def test_a_1_percent_error_at_large_magnitudes_is_caught() -> None:
    failure = run(WrongFactor, LARGE).failure
    assert failure is not None and min(failure.inputs) > 1e5
    with registry.temporary(WrongFactor, LogSumExp):
        for xs in ([1e7] * 4, [973635.0] * 5, [3e6, 3e6 + 1.5]):
            assert check_point("u_logsumexp", xs).ok
            bad = check_point("pb_factor", xs, raise_on_failure=False).failure
            assert bad is not None and bad.kind == "gradient mismatch"


@pytest.mark.parametrize("seed", [9, 10, 18, 19, 25, 27, 31, 32, 34])
def test_a_bug_just_past_a_kink_is_found(seed: int) -> None:
    # draws near a kink stay within 10 times its size: 9, 10, 18, 19, 31 and 32 missed the
    # clamp's (hi, hi + 0.5) at 100 examples when they spread out to 1e6 (8 of 40 seeds did).
    # With hypothesis 6.170.17, 4 of seeds 0-39 (25, 27, 31, 34) still miss it at 100 examples
    # (3 param examples share them); at 200 every seed here finds it.
    failure = run(ClampHalfOpen, {"seed": seed, "max_examples": 200}).failure
    assert failure is not None and failure.kind == "gradient mismatch"


def test_the_clamp_bug_is_shown_where_it_is() -> None:
    failure = run(ClampHalfOpen, {}).failure
    assert failure is not None
    hi = failure.params["hi"]
    assert hi < failure.inputs[0] < hi + 0.5


def _row(op: type[Op], kwargs: dict[str, Any]) -> str:
    r = run(op, kwargs)
    f = r.failure
    if f is None:
        return f"| {op.name} | {op.__doc__ or ''} | passed (NOT caught) | | |"
    inputs = ", ".join(f"{x:.6g}" for x in f.inputs)
    hint = f.hint.split(":")[0].split(";")[0]
    where = f"({inputs})" + (f" {f.params}" if f.params else "")
    doc = " ".join((op.__doc__ or op.__name__).split())
    return f"| {op.__name__} | {doc} | {f.kind} | {where} | {hint} |"


if __name__ == "__main__":
    from hypothesis import settings

    settings.register_profile("table", derandomize=True)  # each op seeded by its name
    settings.load_profile("table")
    print("| planted bug | what | report: problem | shrunk input | hint begins |")
    print("|---|---|---|---|---|")
    for op, kwargs, _, _ in CASES:
        print(_row(op, kwargs))
