"""A correct op must never be flagged: every builtin op and the example plugin's ops pass
thousands of examples in total, including near kinks, near domain edges, tiny and large inputs.

CI runs 250 examples per op (plus per param example / arity shares), seeded per op name (the
derandomized "ci" profile). The deep local run is
    HYPOTHESIS_PROFILE=deep python -m pytest tests/test_check_no_false_positives.py
(2000 examples per op, a fresh random seed each run: the seed is in any failure report), or
    micrograd check --examples 5000 --seed 1
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import settings

from micrograd_core import Interval, Op, registry
from micrograd_core.testing import check_op

SHIPPED = ["add", "dot", "exp", "log", "mul", "pow", "pow_var", "relu", "sigmoid", "sum", "tanh"]
EXAMPLES = max(250, settings.default.max_examples)


def test_every_shipped_op_is_installed() -> None:
    assert set(SHIPPED) <= set(registry.names())


@pytest.mark.parametrize("name", SHIPPED)
def test_correct_op_passes_many_examples(name: str) -> None:
    result = check_op(name, max_examples=EXAMPLES)
    assert result.ok
    assert result.examples >= EXAMPLES
    assert result.examples - result.skipped >= EXAMPLES * 0.7  # overflow skips stay rare
    assert result.max_used < 1


@pytest.mark.parametrize("name", ["relu", "log", "pow"])
def test_near_kinks_and_edges_with_tight_magnitudes(name: str) -> None:
    # every input drawn within [-1e-3, 1e-3] (tiny magnitudes, next to relu's kink and log's edge)
    assert check_op(name, max_examples=100, min_magnitude=1e-12, max_magnitude=1e-3).ok


@pytest.mark.parametrize("name", ["exp", "mul", "tanh", "sigmoid"])
def test_large_magnitudes(name: str) -> None:
    assert check_op(name, max_examples=100, min_magnitude=1.0, max_magnitude=1e8).ok


class Asin(Op):
    """asin on the closed interval [-1, 1]; its derivative blows up at both ends."""

    name = "fp_asin"
    arity = 1
    domain = (Interval(-1.0, 1.0),)

    def forward(self, x: float) -> float:
        return math.asin(x)

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (1 - x * x) ** -0.5,)


class Clip(Op):
    """Clamp to [-1, 1]: two kinks away from zero."""

    name = "fp_clip"
    arity = 1
    kinks = (-1.0, 1.0)

    def forward(self, x: float) -> float:
        return max(-1.0, min(1.0, x))

    def backward(self, grad: Any, out: Any, x: Any) -> tuple[Any]:
        return (grad * (1.0 if -1 < x < 1 else 0.0),)


class Hypot(Op):
    """sqrt(a*a + b*b), not differentiable at the origin only: checked with per-input kinks."""

    name = "fp_hypot"
    arity = 2
    kinks = ((0.0,), (0.0,))

    def forward(self, a: float, b: float) -> float:
        return math.hypot(a, b)

    def backward(self, grad: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
        return grad * a / out, grad * b / out


@pytest.mark.parametrize("op", [Asin, Clip, Hypot], ids=lambda op: op.name)
def test_user_ops_with_edges_and_kinks(op: type[Op]) -> None:
    with registry.temporary(op):
        assert check_op(op.name, max_examples=EXAMPLES).ok
