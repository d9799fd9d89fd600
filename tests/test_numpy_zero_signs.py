"""The numpy executor reads a single gradient contribution without `+ 0.0` when the group that
reads it is sign-blind in its gradient; the floats that reach a Value stay eager's, the sign of
every zero included, also where a backward does see the sign of its gradient."""

from __future__ import annotations

import ast
import math
import random
import struct
from typing import Any

import pytest

from micrograd_core import Op, Value, apply, compile, registry

np = pytest.importorskip("numpy", reason="the numpy executor needs the `fast` extra")

from micrograd_core._compile._numpy_executor import _blind  # noqa: E402


@pytest.mark.parametrize(
    ("expr", "blind"),
    [
        ("g", True),
        ("x1 * g", True),
        ("g * x0", True),
        ("-(x0 * g)", True),
        ("g / x0", True),
        ("0.0 if out <= 0 else g", True),
        ("(1 - out * out) * g", True),
        ("x0 * 2.0", True),  # no g at all
        ("x0 / g", False),  # 1 / -0.0 is -inf
        ("g + 0.0", False),  # (not proven here: treated as seeing the sign)
        ("g ** 2", False),
        ("math.copysign(1.0, g)", False),
        ("g if g > 0 else 0.0", False),  # the test reads g
        ("x0 * g * g", False),
    ],
)
def test_which_expressions_are_sign_blind(expr: str, blind: bool) -> None:
    assert _blind(ast.parse(expr, mode="eval").body) is blind


class SignOfGrad(Op):
    """Identity forward; its backward sees the sign of a zero gradient (1.0 or -1.0)."""

    name = "sign_of_grad_zs"
    arity = 1

    def forward(self, x: float) -> float:
        return x

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (math.copysign(1.0, grad),)


def _bits(xs: list[float]) -> list[bytes]:
    return [struct.pack("<d", x) for x in xs]


def _graph(rng: random.Random, leaves: list[Value]) -> Value:
    nodes = list(leaves)
    for _ in range(25):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(6)
        if kind == 0:
            nodes.append(a * b)
        elif kind == 1:
            nodes.append(a + b)
        elif kind == 2:
            nodes.append(a.relu())
        elif kind == 3:
            nodes.append(a * -0.0)  # zero gradients of either sign on the way back
        elif kind == 4:
            nodes.append(apply("sign_of_grad_zs", a * b))
        else:
            nodes.append(a * 0.5 - b)  # (no tanh: numpy's may round differently, documented)
    return apply("sum", *nodes[-8:]) * rng.choice([0.0, -0.0, 1.0])


@pytest.mark.parametrize("seed", range(30))
def test_gradients_keep_eager_zero_signs(seed: int) -> None:
    rng = random.Random(seed)
    leaves = [Value(rng.choice([0.0, -0.0, 1.5, -2.0, 0.25])) for _ in range(4)]
    with registry.temporary(SignOfGrad):
        root = _graph(random.Random(seed), leaves)
        root.backward()
        eager = [v.grad for v in leaves]
        for v in leaves:
            v.grad = 0.0
        program = compile(lambda: _graph(random.Random(seed), leaves), executor="numpy")
        assert program.forward() == root.data or math.isnan(root.data)
        program.backward()
        assert _bits([v.grad for v in leaves]) == _bits(eager)


def test_a_sign_seeing_backward_gets_its_gradient_normalised() -> None:
    """x -> sign_of_grad(x) * (-0.0): eager's gradient into sign_of_grad is 0.0 + (-0.0) =
    0.0, so x's gradient is +1.0; reading -0.0 unnormalised would give -1.0."""
    x = Value(3.0)
    with registry.temporary(SignOfGrad):
        program = compile(lambda: apply("sign_of_grad_zs", x) * -0.0, executor="numpy")
        assert "+ 0.0" in program.source
        program.forward()
        program.backward()
        assert _bits([x.grad]) == _bits([1.0])
