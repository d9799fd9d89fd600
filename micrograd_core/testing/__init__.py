"""Property-based gradient checking for op authors.

    from micrograd_core.testing import check_op
    check_op("sigmoid")            # raises GradientCheckError with a report if a gradient is wrong

`check_op` draws inputs with hypothesis from the op's declared `domain`, away from its `kinks`,
and compares `backward` with central finite differences (and, for ops that support it, the
gradient of the gradient with finite differences of `backward`). `check_point` runs the same
checks at one given input. `check_graph` checks a whole expression graph, and the strategies
`op_inputs`, `domain_values` and `expression_graphs` let you write your own properties.

The names load lazily: importing this package (as pytest does for the `pytest_plugin` module)
does not import hypothesis, a test-only dependency; using any of them does. `import
micrograd_core` never imports this package. The pytest plugin (`--micrograd-check-ops=all`) and
the `micrograd check` command run the same code. See docs/testing-ops.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._graphs import ExprGraph, GraphNode, check_graph, expression_graphs
    from ._numeric import ATOL, EPS, RTOL, Comparison, Tolerance
    from ._report import CheckResult, Failure, GradientCheckError, NotReproducedError
    from ._run import check_op, check_point
    from ._strategies import OpExample, domain_values, op_inputs

_WHERE = {
    "ExprGraph": "_graphs",
    "GraphNode": "_graphs",
    "check_graph": "_graphs",
    "expression_graphs": "_graphs",
    "ATOL": "_numeric",
    "EPS": "_numeric",
    "RTOL": "_numeric",
    "Comparison": "_numeric",
    "Tolerance": "_numeric",
    "CheckResult": "_report",
    "Failure": "_report",
    "GradientCheckError": "_report",
    "NotReproducedError": "_report",
    "check_op": "_run",
    "check_point": "_run",
    "OpExample": "_strategies",
    "domain_values": "_strategies",
    "op_inputs": "_strategies",
}

__all__ = [
    "ATOL",
    "EPS",
    "RTOL",
    "CheckResult",
    "Comparison",
    "ExprGraph",
    "Failure",
    "GradientCheckError",
    "GraphNode",
    "NotReproducedError",
    "OpExample",
    "Tolerance",
    "check_graph",
    "check_op",
    "check_point",
    "domain_values",
    "expression_graphs",
    "op_inputs",
]
assert sorted(__all__) == sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
