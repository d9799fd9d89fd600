"""Every registered op as a function: `F.tanh(x)`, `F.sum(a, b, c)`, `F.pow(x, exponent=2)`.

    from micrograd_core import functional as F

Names resolve through the registry when first used, so plugin ops appear here with no change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._registry import registry
from ._value import Value, apply


def __getattr__(name: str) -> Callable[..., Value]:
    if name.startswith("_"):
        raise AttributeError(name)
    registry.get(name)  # UnknownOpError (an AttributeError) with close matches

    def op_function(*inputs: Any, **params: Any) -> Value:
        return apply(name, *inputs, **params)

    op_function.__name__ = op_function.__qualname__ = name
    op_function.__doc__ = registry.spec(name).summary
    return op_function


def __dir__() -> list[str]:
    return registry.names()
