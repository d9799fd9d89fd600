"""The checker is only worth something if it fails: each op here has one planted bug, and each
must be caught, with a report that names the op, its plugin and the wrong input."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from micrograd_core import VARIADIC, Interval, Op, Value, registry
from micrograd_core.testing import GradientCheckError, check_op, check_point


class _Exp(Op):
    """A correct exp, the base of most planted bugs."""

    name = "bug_exp"
    arity = 1

    def forward(self, x: float) -> float:
        return math.exp(x) if x < 709 else math.inf

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out,)


class OffByFactor(_Exp):
    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (1.01 * grad * out,)  # 1% too large everywhere


class WrongSign(_Exp):
    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (-grad * out,)


class WrongForNegatives(Op):
    """|x|-like cube: x**3 * sign; backward forgets the sign branch for x < 0."""

    name = "bug_negative"
    arity = 1

    def forward(self, x: float) -> float:
        return x**3

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * 3 * x * x * (1 if x > 0 else -1),)


class WrongFarFromZero(Op):
    """sin-free smooth op x**2 whose backward uses a 'fast path' that is wrong for |x| > 100."""

    name = "bug_far"
    arity = 1

    def forward(self, x: float) -> float:
        return x * x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        slope = 2 * x if -100 < x < 100 else 2.02 * x
        return (grad * slope,)


class WrongCount(Op):
    name = "bug_count"
    arity = 2

    def forward(self, a: float, b: float) -> float:
        return a * b

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any]:
        return (b * grad,)  # forgot the gradient of b


class SecondOrderOnly(Op):
    """Right first derivative; but backward detaches `out` from the graph when given Values."""

    name = "bug_second"
    arity = 1

    def forward(self, x: float) -> float:
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        s = out.data if isinstance(out, Value) else out  # a constant: d/dx of it is lost
        return (grad * s * (1 - s),)


class NonDeterministic(_Exp):
    name = "bug_random"

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * out * (1 + random.uniform(-1e-9, 1e-9)),)


class WrongParams(Op):
    """x ** exponent, whose backward always uses exponent 2."""

    name = "bug_param"
    arity = 1
    params = ("exponent",)
    param_examples = ({"exponent": 2}, {"exponent": 3})

    def forward(self, x: float, exponent: float) -> float:
        return x**exponent

    def backward(self, grad: Any, out: Any, x: Any, exponent: float) -> tuple[Any]:
        return (grad * 2 * x,)


class WrongAtArity3(Op):
    """A variadic sum whose backward is wrong only with three or more inputs."""

    name = "bug_sum"
    arity = VARIADIC

    def forward(self, *xs: float) -> float:
        return sum(xs)

    def backward(self, grad: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        return (grad,) * min(len(xs), 2) + (grad * 0.5,) * (len(xs) - 2)


class LogIgnoringDomain(Op):
    """log with a declared domain x > 0 and a backward that is wrong only near the edge."""

    name = "bug_log"
    arity = 1
    domain = (Interval(0.0, math.inf, low_open=True),)

    def forward(self, x: float) -> float:
        return math.log(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad / (x + 1e-6),)  # an "epsilon for stability" that is wrong for tiny x


def caught(op: type[Op], **kwargs: Any) -> GradientCheckError:
    with registry.temporary(op), pytest.raises(GradientCheckError) as info:
        check_op(op.name, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        (OffByFactor, "gradient mismatch"),
        (WrongSign, "gradient mismatch"),
        (WrongForNegatives, "gradient mismatch"),
        (WrongFarFromZero, "gradient mismatch"),
        (WrongCount, "wrong number of gradients"),
        (SecondOrderOnly, "second-order mismatch"),
        (NonDeterministic, "non-deterministic backward"),
        (WrongParams, "gradient mismatch"),
        (WrongAtArity3, "gradient mismatch"),
        (LogIgnoringDomain, "gradient mismatch"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_planted_bug_is_caught(op: type[Op], kind: str) -> None:
    error = caught(op)
    result = error.result
    assert not result.ok and result.failure is not None
    assert result.failure.kind == kind
    report = str(error)
    assert f"op {op.name!r}" in report
    assert "plugin '<in-process>'" in report
    assert kind in report
    assert "reproduce: check_op(" in report
    assert "check_point(" in report


def test_report_shows_analytic_numeric_and_errors_per_input() -> None:
    report = str(caught(WrongSign))
    header = next(line for line in report.splitlines() if "analytic" in line)
    for column in ("analytic", "numeric", "abs err", "rel err", "allowed", "step"):
        assert column in header
    assert "x0 = " in report and "<-- wrong" in report
    assert "reproduce=(" in report


def test_negative_only_bug_shrinks_to_a_negative_input() -> None:
    failure = caught(WrongForNegatives).result.failure
    assert failure is not None and failure.inputs[0] < 0


def test_far_from_zero_bug_is_reported_far_from_zero() -> None:
    failure = caught(WrongFarFromZero).result.failure
    assert failure is not None and abs(failure.inputs[0]) >= 100


def test_param_bug_names_the_params() -> None:
    failure = caught(WrongParams).result.failure
    assert failure is not None and failure.params == {"exponent": 3}


def test_arity_bug_is_found_at_three_inputs() -> None:
    error = caught(WrongAtArity3)
    assert error.result.failure is not None and len(error.result.failure.inputs) >= 3
    assert "arities=(" in error.result.reproduce


def test_second_order_bug_passes_first_order_alone() -> None:
    with registry.temporary(SecondOrderOnly):
        assert check_op("bug_second", second_order=False).ok


def test_reproduce_by_seed_finds_the_same_failure() -> None:
    first = caught(OffByFactor, seed=1234).result
    again = caught(OffByFactor, seed=1234).result
    assert first.failure == again.failure
    assert "seed=1234" in first.reproduce


def test_check_point_replays_the_reported_input() -> None:
    failure = caught(WrongSign).result.failure
    assert failure is not None
    with registry.temporary(WrongSign), pytest.raises(GradientCheckError):
        check_point("bug_exp", failure.inputs, failure.params, upstream=failure.upstream)


def test_unregistered_op_object_can_be_checked() -> None:
    with pytest.raises(GradientCheckError, match="<unregistered>"):
        check_op(WrongSign(), max_examples=20)
    assert check_op(_Exp(), max_examples=20).ok


def test_result_without_raising() -> None:
    with registry.temporary(WrongSign):
        result = check_op("bug_exp", raise_on_failure=False, max_examples=20)
    assert not result.ok and result.verdict == "FAIL"
    assert result.to_dict()["failure"]["kind"] == "gradient mismatch"


def test_unknown_op_name_is_a_clear_error() -> None:
    from micrograd_core import UnknownOpError

    with pytest.raises(UnknownOpError, match="sigmod"):
        check_op("sigmod")
