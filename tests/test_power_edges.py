"""pow and pow_var at their edges: IEEE results where Python raises or rounds (overflow,
underflow, negative bases, integer exponents past the float range), typed errors for an
exponent that is not a number, and second derivatives through 0 ** y."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from micrograd_core import ParamError, Value, apply, grad, registry

HUGE = 10**400  # an int no float can hold


def _same(got: float, want: float) -> bool:
    """Equal as IEEE floats, sign of zero included; NaN equals NaN."""
    if math.isnan(want):
        return math.isnan(got)
    return got == want and math.copysign(1.0, got) == math.copysign(1.0, want)


@pytest.mark.parametrize(
    ("base", "exponent", "value"),
    [
        (-10.0, 400.5, math.nan),  # IEEE, numpy and PyTorch: NaN (was inf)
        (0.5, HUGE, 0.0),
        (1.0, HUGE, 1.0),
        (2.0, -HUGE, 0.0),
        (-0.5, HUGE + 1, -0.0),  # the parity of the exact int decides the sign
        (-0.5, HUGE, 0.0),
        (-2.0, HUGE + 1, -math.inf),
        (-1.0, 2**60 + 1, -1.0),  # float(2**60 + 1) is even: the int must stay exact
        (-0.0, -1, -math.inf),
        (10.0, 400, math.inf),
        (-10.0, 401, -math.inf),
    ],
)
def test_pow_follows_ieee(base: float, exponent: float, value: float) -> None:
    out = Value(base) ** exponent
    assert _same(out.data, value), out.data
    assert isinstance(grad(out, [Value(base)])[0], float)


@pytest.mark.parametrize(
    ("base", "exponent", "dx", "d2x"),
    [
        (0.5, HUGE, 0.0, 0.0),  # k x**(k-1) underflows: 0, not inf * 0 = NaN
        (1.0, HUGE, math.inf, math.inf),  # k itself, rounded
        (2.0, -HUGE, -0.0, 0.0),
        (-0.5, HUGE + 1, 0.0, -0.0),
        (-2.0, HUGE + 1, math.inf, -math.inf),
        (-1.0, 2**60 + 1, float(2**60 + 1), -float((2**60 + 1) * 2**60)),
    ],
)
def test_pow_gradients_with_integer_exponents_past_the_float_range(
    base: float, exponent: int, dx: float, d2x: float
) -> None:
    x = Value(base)
    (g,) = grad(x**exponent, [x])  # was: OpContractError blaming the builtin plugin
    assert _same(g, 0.0 + dx), g  # float gradients start from 0.0, as .backward()'s do
    (gv,) = grad(x**exponent, [x], create_graph=True)
    assert _same(gv.data, dx)  # a graph keeps the op's own result, sign of zero included
    (g2,) = grad(gv, [x])
    assert _same(g2, 0.0 + d2x), g2


@pytest.mark.parametrize(
    ("x", "y", "value", "dx", "dy"),
    [
        (-10.0, 400.5, math.nan, math.nan, math.nan),
        (0.5, math.inf, 0.0, math.nan, -0.0),  # PyTorch: inf * 0.5**inf is NaN too
        (2.0, -math.inf, 0.0, math.nan, 0.0),
        (1.0, math.inf, 1.0, math.inf, 0.0),
        (10.0, 400.0, math.inf, math.inf, math.inf),
        (-10.0, 401.0, -math.inf, math.inf, math.nan),
        (0.0, 0.5, 0.0, math.inf, 0.0),
    ],
)
def test_pow_var_follows_ieee(x: float, y: float, value: float, dx: float, dy: float) -> None:
    # every row is also what PyTorch 2.x computes in float64
    a, b = Value(x), Value(y)
    out = a**b
    assert _same(out.data, value), out.data
    ga, gb = grad(out, [a, b])
    assert ga == dx or (math.isnan(dx) and math.isnan(ga)), ga
    assert gb == dy or (math.isnan(dy) and math.isnan(gb)), gb


@pytest.mark.parametrize(
    ("exponent", "shown"), [("2", "str '2'"), (1j, "complex 1j"), (None, "NoneType None")]
)
def test_pow_exponent_must_be_a_real_number(exponent: object, shown: str) -> None:
    with pytest.raises(
        ParamError, match=rf"op 'pow' \(from plugin 'builtin'\).*'exponent'.*{shown}"
    ):
        apply("pow", Value(2.0), exponent=exponent)


def test_pow_exponent_of_other_real_types() -> None:
    assert apply("pow", Value(4.0), exponent=Fraction(1, 2)).data == 2.0
    assert apply("pow", Value(-2.0), exponent=True).data == -2.0


def test_second_order_through_pow_var_at_base_zero() -> None:
    # The case: was "OpContractError: op 'ln': backward raised ZeroDivisionError".
    x, y = Value(0.0), Value(2.0)
    gx, gy = grad(x**y, [x, y], create_graph=True)
    assert (gx.data, gy.data) == (0.0, 0.0)
    assert grad(gy, [x, y]) == [0.0, 0.0]
    # d2/dx2 x**2 = 2; d/dy (y x**(y-1)) -> 0 as x -> 0 (PyTorch's masks give NaN here)
    assert grad(gx, [x, y]) == [2.0, 0.0]


def test_second_order_through_the_private_log_at_zero() -> None:
    # y < 0 keeps log(0) in the graph of d/dy, so the second order differentiates it at 0.
    x, y = Value(0.0), Value(-1.0)
    gx, gy = grad(x**y, [x, y], create_graph=True)
    assert (gx.data, gy.data) == (-math.inf, -math.inf)
    assert grad(gy, [x, y]) == [math.inf, math.inf]  # PyTorch: the same
    assert grad(gx, [x, y]) == [math.inf, math.inf]
    # On Values the log's derivative divides by a Value 0 (x ** -1, inf): the third order runs
    hx, hy = grad(gy, [x, y], create_graph=True)
    assert (hx.data, hy.data) == (math.inf, math.inf)
    assert grad(hx, [x, y]) == grad(hy, [x, y]) == [-math.inf, -math.inf]  # PyTorch: the same


@pytest.mark.parametrize(
    ("upstream", "x", "want"),
    [(1.0, 0.0, math.inf), (-1.0, 0.0, -math.inf), (1.0, -0.0, -math.inf), (0.0, 0.0, math.nan)],
)
def test_log_derivative_at_zero_is_ieee_division(upstream: float, x: float, want: float) -> None:
    log = registry.get("log")  # what pow_var's backward applies for d/dy
    (got,) = log.backward(upstream, log.forward(x), x)
    assert _same(got, want)


def test_pow_var_at_exponent_zero_keeps_its_second_order() -> None:
    # d/dx x**y at y = 0 is the masked 0 in every mode, yet its graph must still carry
    # d/dy (y x**(y-1)) = x**(y-1) = 0.5 to the next order.
    x, y = Value(2.0), Value(0.0)
    (gx,) = grad(x**y, [x], create_graph=True)
    assert gx.data == 0.0
    assert grad(gx, [x, y]) == [0.0, 0.5]
