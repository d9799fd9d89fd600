"""Value: micrograd compatibility, arithmetic with numbers, errors, backward semantics."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from dual import Dual

from micrograd_core import (
    ArityError,
    Op,
    OpContractError,
    ParamError,
    UnknownOpError,
    Value,
    apply,
    registry,
)
from micrograd_core import functional as F


def sanity(x):  # micrograd's test_sanity_check expression, generic over number types
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops(a, b):  # micrograd's test_more_ops expression
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_micrograd_sanity_check() -> None:
    x = Value(-4.0)
    y = sanity(x)
    y.backward()
    ref = sanity(Dual(-4.0, 1.0))
    assert y.data == ref.v == -20.0  # -20 and 46 are PyTorch's answers in micrograd's test
    assert x.grad == ref.d == 46.0


def test_micrograd_more_ops() -> None:
    a, b = Value(-4.0), Value(2.0)
    g = more_ops(a, b)
    g.backward()
    da = more_ops(Dual(-4.0, 1.0), Dual(2.0))
    db = more_ops(Dual(-4.0), Dual(2.0, 1.0))
    assert g.data == pytest.approx(da.v, rel=1e-12)
    assert a.grad == pytest.approx(da.d, rel=1e-12)
    assert b.grad == pytest.approx(db.d, rel=1e-12)
    # PyTorch's values, as in micrograd's own test (tolerance 1e-6 there too).
    assert abs(g.data - 24.70408163265306) < 1e-6
    assert abs(a.grad - 138.83381924198252) < 1e-6
    assert abs(b.grad - 645.5772594752186) < 1e-6


@pytest.mark.parametrize(
    "expr",
    [
        lambda x: x + 2,
        lambda x: 2 + x,
        lambda x: x * 3,
        lambda x: 3 * x,
        lambda x: x - 2,
        lambda x: 2 - x,
        lambda x: x / 4,
        lambda x: 4 / x,
        lambda x: -x,
        lambda x: x**3,
        lambda x: x**-2,
        lambda x: x**0.5,
        lambda x: 2**x,
        lambda x: x**x,
        lambda x: (x * x).tanh(),
        lambda x: (x - 5).relu() + (5 - x).relu(),
    ],
)
def test_numbers_on_either_side(expr) -> None:
    x = Value(1.7)
    y = expr(x)
    y.backward()
    ref = expr(Dual(1.7, 1.0))
    assert y.data == pytest.approx(ref.v, rel=1e-12)
    assert x.grad == pytest.approx(ref.d, rel=1e-12)


def test_constructor_accepts_real_numbers_only() -> None:
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert Value(Fraction(1, 4)).data == 0.25
    assert Value(True).data == 1.0
    with pytest.raises(TypeError, match="str"):
        Value("1.0")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="complex"):
        Value(1j)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Value"):
        Value(Value(1.0))  # type: ignore[arg-type]


def test_non_numeric_operand_is_a_type_error() -> None:
    x = Value(1.0)
    with pytest.raises(TypeError, match="str"):
        x + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="str"):
        "a" + x  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"op 'tanh', input 0.*list"):
        apply("tanh", [1.0])


def test_unknown_op_suggests_close_matches() -> None:
    class Softsign(Op):
        """x / (1 + |x|)"""

        name = "softsign"
        arity = 1

        def forward(self, x):
            return x / (1 + abs(x))

        def backward(self, grad, out, x):
            return (grad / ((1 + abs(x)) * (1 + abs(x))),)

    with registry.temporary(Softsign):
        x = Value(1.0)
        assert x.softsign().data == 0.5
        with pytest.raises(UnknownOpError, match=r"softsine.*did you mean 'softsign'"):
            x.softsine()
        with pytest.raises(AttributeError):  # UnknownOpError is an AttributeError too
            _ = F.softsine
    assert not hasattr(x, "softsign")  # gone with the context


def test_arity_and_param_errors_name_the_op() -> None:
    x = Value(2.0)
    with pytest.raises(ArityError, match=r"'tanh'.*takes 1 input\(s\), got 2"):
        apply("tanh", x, x)
    with pytest.raises(ArityError, match=r"'sum'.*got 0"):
        apply("sum")
    with pytest.raises(ParamError, match=r"'pow'.*missing \['exponent'\]"):
        apply("pow", x)
    with pytest.raises(ParamError, match=r"unknown \['base'\]"):
        apply("pow", x, exponent=2, base=3)
    with pytest.raises(ParamError, match="'tanh'"):
        F.tanh(x, scale=2)


def test_functional_namespace_and_methods_agree() -> None:
    a, b, c = Value(1.0), Value(2.0), Value(-4.0)
    assert F.tanh(a).data == a.tanh().data == math.tanh(1.0)
    s = F.sum(a, b, c, 10)
    assert s.data == 9.0 and s.op == "sum" and s.parents[:3] == (a, b, c)
    assert F.pow(b, exponent=3).data == 8.0
    assert {"add", "mul", "pow", "pow_var", "relu", "sum", "tanh"} <= set(dir(F))


def test_introspection() -> None:
    x, y = Value(3.0), Value(4.0)
    z = x * y
    assert z.op == "mul" and z.parents == (x, y) and x.op == "" and x.parents == ()
    p = x**2
    assert p.op == "pow" and p.param == {"exponent": 2}
    assert float(z) == 12.0 and z.item() == 12.0
    assert repr(z) == "Value(data=12.0, grad=0.0)"
    assert x < y and y > x and x <= 3 and y >= 4 and x != Value(3.0)  # == is identity


def test_shared_node_accumulates() -> None:
    x = Value(3.0)
    y = x * x + x  # x used three times
    y.backward()
    assert x.grad == 7.0 and y.grad == 1.0


def test_sum_gradient() -> None:
    xs = [Value(float(i)) for i in range(10)]
    s = F.sum(*xs) * 2
    s.backward()
    assert s.data == 90.0 and all(x.grad == 2.0 for x in xs)


def test_results_are_deterministic() -> None:
    def run() -> list[float]:
        a, b = Value(-4.0), Value(2.0)
        more_ops(a, b).backward()
        return [a.grad, b.grad]

    assert run() == run()


def test_ieee_semantics_instead_of_exceptions() -> None:
    zero = Value(0.0)
    assert (zero**-1).data == math.inf
    assert (Value(-0.0) ** -1).data == -math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)  # Python floats would give a complex
    assert (Value(10.0) ** 400).data == math.inf
    big = Value(1e308)
    t = big.tanh()
    t.backward()
    assert t.data == 1.0 and big.grad == 0.0
    nan = Value(math.nan)
    y = nan * 2 + 1
    y.backward()
    assert math.isnan(y.data) and nan.grad == 2.0
    # d/dy x**y is NaN for a negative base; d/dx is fine for an integer exponent.
    x, e = Value(-2.0), Value(2.0)
    z = x**e
    z.backward()
    assert z.data == 4.0 and x.grad == -4.0 and math.isnan(e.grad)
    # d/dx x**0 is 0 even at 0 (not 0 * inf = nan).
    w = Value(0.0)
    (w**0).backward()
    assert w.grad == 0.0


class _WrongCount(Op):
    """Returns one gradient for two inputs."""

    name = "wrongcount"
    arity = 2

    def forward(self, a, b):
        return a + b

    def backward(self, grad, out, a, b):
        return (grad,)


class _StringForward(Op):
    name = "stringforward"
    arity = 1

    def forward(self, x):
        return "oops"

    def backward(self, grad, out, x):
        return (grad,)


def test_broken_op_contract_is_reported_with_the_op_name() -> None:
    with registry.temporary(_WrongCount, _StringForward):
        y = Value(1.0).wrongcount(2.0)
        with pytest.raises(OpContractError, match=r"'wrongcount'.*one gradient per input \(2\)"):
            y.backward()
        with pytest.raises(OpContractError, match=r"'stringforward'.*str"):
            Value(1.0).stringforward()


@pytest.mark.slow
def test_million_node_chain() -> None:
    n = 1_000_000
    x, c = Value(0.5), Value(1.0)
    y = x
    for _ in range(n):
        y = y * c
    y.backward()
    assert y.data == 0.5
    assert x.grad == 1.0
    assert c.grad == pytest.approx(0.5 * n)  # each of the n products contributes y_i = 0.5
    del y  # freeing a million-deep chain must not overflow the C stack either


def test_second_backward_doubles_leaf_grads_exactly() -> None:
    # micrograd would give 20 here: it re-counts the first pass through the intermediate x*x.
    x = Value(3.0)
    y = x * x + x
    y.backward()
    y.backward()
    assert x.grad == 14.0
    x.grad = 0.0
    y.backward()
    assert x.grad == 7.0


def test_second_backward_with_create_graph_accumulates_into_leaves_only() -> None:
    x = Value(2.0)
    xx = x * x
    y = xx * x
    y.backward(create_graph=True)
    y.backward(create_graph=True)
    assert x.grad.data == 24.0  # 2 * 3x^2
    assert xx.grad.data == 2.0  # this pass's dy/d(xx) = x, not twice it


def test_review_findings_are_typed_errors_or_ieee() -> None:
    from micrograd_core import OpValidationError, grad

    assert (Value(1.0) / 0).data == math.inf  # like Value(1) / Value(0), not ZeroDivisionError
    assert (Value(-1.0) / 0.0).data == -math.inf
    with pytest.raises(ValueError, match="too large"):
        Value(10**400)
    e = Value(2.0)
    with pytest.raises(ParamError, match=r"'pow'.*'exponent' is a Value"):
        apply("pow", Value(3.0), exponent=e)
    with pytest.raises(OpValidationError, match="expected an Op class or instance, got str"):
        registry.register("tanh")
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(1.0, [e])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Value"):
        grad(e * e, [1])  # type: ignore[list-item]


class _ZeroDivBackward(Op):
    """Raises ZeroDivisionError in backward at x = 0, as a float division would."""

    name = "zerodivbackward"
    arity = 1

    def forward(self, x):
        return x

    def backward(self, grad, out, x):
        return (grad / x,)


def test_arithmetic_error_in_backward_names_the_op() -> None:
    from micrograd_core import grad

    with registry.temporary(_ZeroDivBackward):
        y = Value(0.0).zerodivbackward()
        with pytest.raises(OpContractError, match=r"'zerodivbackward'.*ZeroDivisionError"):
            y.backward()
        with pytest.raises(OpContractError, match=r"'zerodivbackward'.*ZeroDivisionError"):
            grad(y, [y.parents[0]])


def test_abs_works_on_values_and_differentiates_twice() -> None:
    from micrograd_core import grad

    for v, slope in ((-2.5, -1.0), (1.5, 1.0), (0.0, 0.0)):
        x = Value(v)
        y = abs(x)
        y.backward()
        assert y.data == abs(v) and x.grad == slope
    x = Value(-2.0)
    (d1,) = grad(abs(x) * abs(x), [x], create_graph=True)  # d/dx x^2 = 2x
    assert d1.data == -4.0 and grad(d1, [x]) == [2.0]
