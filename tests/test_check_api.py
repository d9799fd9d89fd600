"""The toolkit's own contracts: strategies stay in the domain and away from kinks, finite
differences never cross them, options are validated, runs are reproducible, and importing
micrograd_core does not import hypothesis."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_core import REALS, Interval, Op, registry
from micrograd_core.testing import (
    GradientCheckError,
    OpExample,
    Tolerance,
    check_op,
    check_point,
    domain_values,
    op_inputs,
)
from micrograd_core.testing._numeric import GAP, central_difference, singular_points, step_for

INTERVALS = [
    REALS,
    Interval(0.0, math.inf, low_open=True),
    Interval(-math.inf, 2.0, high_open=True),
    Interval(-1.0, 1.0),
    Interval(3.0, 3.5, low_open=True, high_open=True),
]


@st.composite
def domains_and_points(draw: st.DrawFn) -> tuple[Interval, tuple[float, ...], float]:
    interval = draw(st.sampled_from(INTERVALS))
    kinks = tuple(draw(st.lists(st.sampled_from([0.0, 1.0, -2.5, 3.25, 1e3]), max_size=3)))
    x = draw(domain_values(interval, kinks))
    return interval, kinks, x


@given(domains_and_points())
def test_values_are_inside_the_domain_and_away_from_kinks(
    case: tuple[Interval, tuple[float, ...], float],
) -> None:
    interval, kinks, x = case
    assert interval.low < x < interval.high
    assert abs(x) <= 1e6 and (x == 0 or abs(x) >= 1e-12)
    for s in singular_points(interval, kinks):
        assert abs(x - s) > GAP * max(abs(s), abs(x))


@given(domains_and_points())
def test_finite_difference_steps_never_cross_a_kink_or_leave_the_domain(
    case: tuple[Interval, tuple[float, ...], float],
) -> None:
    interval, kinks, x = case
    points = singular_points(interval, kinks)
    h = step_for(x, points, 1e-6)
    assert h > 0
    for moved in (x - h, x + h):
        assert moved in interval
        for s in points:
            assert (moved - s) * (x - s) > 0  # same side of every singular point


def test_central_difference_of_a_smooth_function() -> None:
    est = central_difference(lambda v: math.sin(v[0]) * v[1], [0.3, 2.0], 0, 1e-6)
    assert est is not None
    assert est.value == pytest.approx(2 * math.cos(0.3), rel=1e-9)


def test_central_difference_reports_overflow_as_no_estimate() -> None:
    assert central_difference(lambda v: math.exp(v[0]), [709.7], 0, 1.0) is None


def test_op_inputs_cover_params_and_arities() -> None:
    seen_params: set[float] = set()
    seen_arities: set[int] = set()

    @given(op_inputs("pow"))
    def pows(ex: OpExample) -> None:
        seen_params.add(ex.params["exponent"])
        if ex.params["exponent"] in (-1, 0.5):
            assert ex.inputs[0] > 0  # the domain depends on the params

    # 60 examples (the ci profile) drew no 2 inputs at all: sampled_from is not uniform early on
    @settings(max_examples=200)
    @given(op_inputs("sum"))
    def sums(ex: OpExample) -> None:
        seen_arities.add(len(ex.inputs))

    pows()
    sums()
    assert seen_params == {2, 3, -1, 0.5}
    assert seen_arities == {1, 2, 3, 4, 5, 7}


def test_option_validation() -> None:
    with pytest.raises(ValueError, match="takes exactly 1 input"):
        check_op("tanh", arities=(2,))
    with pytest.raises(ValueError, match="max_examples"):
        check_op("tanh", max_examples=0)
    with pytest.raises(ValueError, match="eps"):
        Tolerance(eps=0.5)
    with pytest.raises(ValueError, match="params"):
        op_inputs("pow", params=[{"power": 2}])
    with pytest.raises(ValueError, match="no point"):
        domain_values(Interval(2e6, 3e6))


def test_same_seed_same_run() -> None:
    a = check_op("tanh", max_examples=30, seed=7)
    b = check_op("tanh", max_examples=30, seed=7)
    assert (a.examples, a.max_abs_error, a.max_used) == (b.examples, b.max_abs_error, b.max_used)


def test_checks_listed_per_op() -> None:
    assert "second order" in check_op("tanh", max_examples=5).checks
    assert any(c.startswith("arities") for c in check_op("sum", max_examples=8).checks)
    assert any(c.startswith("params") for c in check_op("pow", max_examples=8).checks)


class FloatOnly(Op):
    """exp whose backward only takes floats: it declares so and skips the second-order check."""

    name = "float_only_exp"
    arity = 1
    higher_order = False

    def forward(self, x: float) -> float:
        return math.exp(x) if x < 709 else math.inf

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (float(grad) * math.exp(float(x)),)


def test_higher_order_false_skips_second_order() -> None:
    with registry.temporary(FloatOnly):
        result = check_op("float_only_exp", max_examples=20)
    assert result.ok and "second order" not in result.checks


class MutatesParams(Op):
    name = "mutates_params"
    arity = 1
    params = ("scale",)
    param_examples = ({"scale": [2.0]},)

    def forward(self, x: float, scale: list[float]) -> float:
        scale.append(1.0)  # a forward that changes its static params
        return x * scale[0]

    def backward(self, grad: Any, out: Any, x: Any, scale: list[float]) -> tuple[Any]:
        return (grad * scale[0],)


class RaisesInDomain(Op):
    name = "raises_in_domain"
    arity = 1

    def forward(self, x: float) -> float:
        if x < -1:  # declares the whole real line but fails below -1
            raise ValueError("unsupported input")
        return x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad,)


class ValueOnlyBug(Op):
    """Right with floats, wrong when the engine passes Values (create_graph=True)."""

    name = "value_only_bug"
    arity = 1

    def forward(self, x: float) -> float:
        return x * x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (2 * x if isinstance(x, float) else 2 * x + 0.5),)


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        (MutatesParams, "input mutated"),
        (RaisesInDomain, "forward raised"),
        (ValueOnlyBug, "value path mismatch"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_more_contract_breaches(op: type[Op], kind: str) -> None:
    with registry.temporary(op), pytest.raises(GradientCheckError) as info:
        check_op(op.name, max_examples=30)
    assert info.value.result.failure.kind == kind
    assert " ".join(info.value.result.failure.hint.split()) in " ".join(str(info.value).split())


def test_reproduce_blob_replays_the_failure() -> None:
    class Wrong(FloatOnly):
        name = "wrong_exp"

        def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
            return (2 * grad * out,)

    with registry.temporary(Wrong):
        first = check_op("wrong_exp", raise_on_failure=False, max_examples=20)
        assert first.blob.startswith("@reproduce_failure(")
        version, blob = eval(first.blob[len("@reproduce_failure") : first.blob.index(")") + 1])
        again = check_op("wrong_exp", raise_on_failure=False, reproduce=(version, blob))
    assert again.failure == first.failure


def test_check_point_on_a_correct_op() -> None:
    result = check_point("pow", [2.0], {"exponent": 3}, upstream=-0.5)
    assert result.ok and result.examples == 1


def test_importing_micrograd_core_does_not_import_hypothesis() -> None:
    code = (
        "import sys, micrograd_core, micrograd_core.testing, micrograd_core.testing.pytest_plugin;"
        "from micrograd_core import Value; (Value(1.0) * 2).tanh().backward();"
        "import micrograd_core.cli.check;"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_check_point_blames_the_caller_for_caller_mistakes() -> None:
    from micrograd_core import ArityError, ParamError
    from micrograd_core.testing import check_point

    with pytest.raises(ArityError, match=r"'tanh'.*got 2"):
        check_point("tanh", [1.0, 2.0])
    with pytest.raises(ParamError, match=r"'pow'.*exponent"):
        check_point("pow", [2.0])
    with pytest.raises(ValueError, match="outside the op's domain"):
        check_point("log", [-1.0])
    result = check_point("exp", [1000.0], raise_on_failure=False)  # nothing could be compared
    assert not result.ok and result.failure is not None
    assert result.failure.kind == "no usable examples"
