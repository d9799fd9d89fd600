"""Elementary functions for op authors: floats in, floats out; Values in, graph out.

    from micrograd_core import math as mm

    class Softplus(Op):
        ...
        def backward(self, grad, out, x):
            return (grad / (1 + mm.exp(-x)),)

On floats each function returns a float with IEEE results where Python's `math` raises
(`exp(1000)` is inf, `log(0)` is -inf, `sqrt(-1)` is nan). On `Value`s it applies the registered
op of the same name, so a backward written with these functions builds the graph of its
gradient under `create_graph=True` and differentiates to any order. Python's own `math.exp(v)`
would turn the Value into a float and cut the graph: the engine raises an `OpContractError`
when a backward does that while differentiating a gradient.

The ops come from micrograd-core's builtin plugin, like every other op.
"""

from __future__ import annotations

from typing import Any

from ._registry import registry
from ._value import Value, _as_float, apply

__all__ = ["cos", "exp", "expm1", "log", "log1p", "sin", "sqrt", "tanh"]


def _elementary(name: str, x: Any) -> Any:
    if isinstance(x, Value):
        return apply(name, x)
    return registry.get(name).forward(_as_float(x, f"micrograd_core.math.{name}"))


def exp(x: Any) -> Any:
    """e ** x (inf past log(DBL_MAX), about 709.78)."""
    return _elementary("exp", x)


def expm1(x: Any) -> Any:
    """e ** x - 1, accurate near 0."""
    return _elementary("expm1", x)


def log(x: Any) -> Any:
    """The natural logarithm: -inf at 0, nan below."""
    return _elementary("log", x)


def log1p(x: Any) -> Any:
    """log(1 + x), accurate near 0: -inf at -1, nan below."""
    return _elementary("log1p", x)


def sqrt(x: Any) -> Any:
    """The square root: nan below 0."""
    return _elementary("sqrt", x)


def sin(x: Any) -> Any:
    """The sine (nan at +-inf)."""
    return _elementary("sin", x)


def cos(x: Any) -> Any:
    """The cosine (nan at +-inf)."""
    return _elementary("cos", x)


def tanh(x: Any) -> Any:
    """The hyperbolic tangent."""
    return _elementary("tanh", x)
