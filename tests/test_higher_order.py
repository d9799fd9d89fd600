"""Second and third derivatives through builtin and plugin ops (create_graph=True, grad())."""

from __future__ import annotations

import math

import pytest

from micrograd_core import HigherOrderNotSupportedError, Op, Value, apply, grad, registry


def test_second_derivative_of_tanh_and_third() -> None:
    x = Value(0.7)
    t = math.tanh(0.7)
    (d1,) = grad(x.tanh(), [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    assert d1.data == pytest.approx(1 - t * t, rel=1e-12)
    assert d2.data == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)
    assert d3 == pytest.approx(-2 * (1 - t * t) ** 2 + 4 * t * t * (1 - t * t), rel=1e-12)


def test_mixed_partials() -> None:
    x, y = Value(1.5), Value(-2.0)
    f = x * y * y + (x**3) * y
    dx, dy = grad(f, [x, y], create_graph=True)
    assert dy.data == pytest.approx(2 * x.data * y.data + x.data**3)
    assert dx.data == pytest.approx(y.data**2 + 3 * x.data**2 * y.data)
    dxx, dxy = grad(dx, [x, y])
    assert dxx == pytest.approx(6 * x.data * y.data)
    assert dxy == pytest.approx(2 * y.data + 3 * x.data**2)


def test_second_derivative_through_value_exponent() -> None:
    # d2/dy2 x**y = x**y * ln(x)**2, through the builtin pow_var and the builtin log op.
    x, y = Value(3.0), Value(1.5)
    (dy,) = grad(x**y, [y], create_graph=True)
    (dyy,) = grad(dy, [y])
    assert dyy == pytest.approx(3.0**1.5 * math.log(3.0) ** 2, rel=1e-12)
    (dxy,) = grad(dy, [x])  # d/dx (x**y ln x) = y x**(y-1) ln x + x**(y-1)
    assert dxy == pytest.approx(1.5 * 3.0**0.5 * math.log(3.0) + 3.0**0.5, rel=1e-12)


def test_backward_create_graph_then_backward_again() -> None:
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 12.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 12.0  # d/dx 3x^2 = 6x


def test_relu_second_derivative_is_zero_and_constants_become_values() -> None:
    x = Value(1.3)
    (d1,) = grad(x.relu() + 2 * x, [x], create_graph=True)
    assert isinstance(d1, Value) and d1.data == 3.0
    (d2,) = grad(d1, [x])
    assert d2 == 0.0
    unused = Value(5.0)
    assert grad(x * 2, [unused]) == [0.0]


def test_first_order_grad_leaves_dot_grad_alone() -> None:
    x = Value(2.0)
    y = x * x
    assert grad(y, x) == [4.0]
    assert x.grad == 0.0 and y.grad == 0.0


class _Cube(Op):
    """x ** 3 written with plain arithmetic: differentiable to any order."""

    name = "cube"
    arity = 1

    def forward(self, x):
        return x * x * x

    def backward(self, grad, out, x):
        return (3 * x * x * grad,)


class _OnceCube(_Cube):
    """Same, but its backward only works on floats, and it says so."""

    name = "oncecube"
    higher_order = False

    def backward(self, grad, out, x):
        return (3 * float(x) ** 2 * grad,)


def test_plugin_op_second_derivative_and_once_differentiable() -> None:
    with registry.temporary(_Cube, _OnceCube):
        x = Value(2.0)
        (d1,) = grad(x.cube(), [x], create_graph=True)
        assert grad(d1, [x]) == [12.0]
        assert grad(x.oncecube(), [x]) == [12.0]  # first order is fine
        with pytest.raises(HigherOrderNotSupportedError, match=r"'oncecube'.*in-process"):
            grad(x.oncecube(), [x], create_graph=True)


def test_unregistered_op_sharing_a_registered_name_is_not_blamed_on_that_plugin() -> None:
    class AdHocTanh(_OnceCube):  # named like the builtin tanh, applied without registering
        name = "tanh"

    x = Value(2.0)
    y = apply(AdHocTanh(), x)
    assert registry.plugin_of(y._op) is None and registry.plugin_of(x.tanh()._op) == "builtin"
    with pytest.raises(HigherOrderNotSupportedError) as info:
        grad(y, [x], create_graph=True)
    assert "builtin" not in str(info.value)
