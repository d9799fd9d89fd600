"""`pairwise(name, lefts, rights)`: one binary op over many pairs of Values, as fast as eager gets.

A neuron's `w_i * x_i` terms are most of an MLP's graph. Building them with `w * x` costs
`Value.__mul__` plus `op.forward` per node; this builds the same nodes (same op object from the
registry, same floats) in one generated loop that inlines the op's `forward_source` template
when it has one (see `_template`) and calls `op.forward` when it has not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ._registry import registry
from ._template import template_of
from ._value import Value, _node

_Builder = Callable[[Sequence[Value], Sequence[Value]], list[Value]]
_cache: dict[str, tuple[Any, _Builder]] = {}


def _generate(op: Any) -> _Builder:
    spec = registry.spec(op.name)
    tpl = template_of(op, spec, "_t_") if spec.arity == 2 and not spec.params else None
    namespace: dict[str, Any] = {"OP": op, "FORWARD": op.forward, "Value": Value, "_node": _node}
    if tpl is not None and tpl.forward is not None:
        expr = tpl.forward.format(x0="a.data", x1="b.data")
        namespace.update(tpl.globals)
    else:
        expr = "FORWARD(a.data, b.data)"
    source = "\n".join(
        [
            "def build(lefts, rights):",
            "    out = []",
            "    emit = out.append",
            "    new = object.__new__",
            "    for a, b in zip(lefts, rights):",
            "        v = new(Value)",
            f"        v.data = {expr}",
            "        v.grad = 0.0",
            "        v._a = a",
            "        v._b = b",
            "        v._many = None",
            "        v._op = OP",
            "        v._param = None",
            "        emit(v)",
            "    return out",
        ]
    )
    exec(compile(source, f"<micrograd pairwise {op.name}>", "exec"), namespace)
    return namespace["build"]  # type: ignore[no-any-return]


def pairwise(name: str, lefts: Sequence[Value], rights: Sequence[Value]) -> list[Value]:
    """`[l op r for l, r in zip(lefts, rights)]` for a registered binary op; all are Values."""
    op = registry.table.get(name) or registry.get(name)
    cached = _cache.get(name)
    if cached is None or cached[0] is not op:  # re-generate if the op was overridden
        cached = _cache[name] = (op, _generate(op))
    return cached[1](lefts, rights)
