"""`dot_values(b, ws, xs)`: a neuron's weighted sum `b + w0*x0 + w1*x1 + ...` as one node
(`dot_rows`: a layer's, one node per neuron).

A neuron's `w_i * x_i` terms were most of an MLP's graph, and eager mode pays per node (creating
it, sorting it, running its backward, and the cyclic GC scanning it). The builtin `dot` op makes
the whole weighted sum one node, with the same floats as micrograd's `sum(w*x ..., b)`: 7,881
nodes per demo step instead of micrograd's 65,818 (and 38,281 with a mul per weight). Also
here: the eager backward loop's branch for dot nodes. Under `compile`, the op's `expand` (mul and
sum nodes) is traced instead; see `_compile`.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import mul
from typing import Any

from . import _value
from ._apply import apply
from ._floats import sequential_sum
from ._registry import registry
from ._value import _DATA, _TABLE, Value, _node


def dot_values(bias: Value, ws: Sequence[Value], xs: Sequence[Value]) -> Value:
    """`bias + ws[0]*xs[0] + ws[1]*xs[1] + ...` as one `dot` node (all arguments are Values)."""
    return dot_rows([(bias, ws)], xs)[0]


def dot_rows(rows: Sequence[tuple[Value, Sequence[Value]]], xs: Sequence[Value]) -> list[Value]:
    """One `dot` node per (bias, weights) row, all over the same inputs `xs`: a layer's
    weighted sums. The inputs' data is read once for all the rows."""
    op = _TABLE.get("dot") or registry.get("dot")
    xs = tuple(xs)
    if _value._tracer is not None:  # compile traces the op's expansion, if it has one
        return [apply(op, *_dot_inputs(bias, ws, xs)) for bias, ws in rows]
    forward = op.forward
    xd = [*map(_DATA, xs)]
    nodes = []
    for bias, ws in rows:
        prev = _dot_inputs(bias, ws, xs)  # the dot op's layout: bias, weights, inputs
        out = forward(bias.data, *map(_DATA, ws), *xd)
        if type(out) is not float:
            nodes.append(apply(op, *prev))  # apply converts the result or reports the breach
        else:
            nodes.append(_node(out, prev, op, None))
    return nodes


def _dot_inputs(bias: Value, ws: Sequence[Value], xs: tuple[Value, ...]) -> tuple[Value, ...]:
    if len(ws) != len(xs):
        raise ValueError(f"dot: {len(ws)} weights but {len(xs)} inputs")
    return (bias, *ws, *xs)


# The eager backward loop (`_eagerloop`) runs dot nodes with this branch instead of calling
# `op.backward` and then adding its list of 2n+1 gradients into the parents: one pass over the
# (weight, input) pairs, half the time, mul's rule (`x * g` and `w * g`). The pairs run last to
# first, as the expansion's mul nodes do in a compiled program, so that a Value that is several
# of one node's parents gets its contributions in the same order in both modes (`op.backward`'s
# list, used for create_graph, is in input order: for such a Value its last bits may differ).
# It is used only for a registered `dot` op that passes `follows_the_rule` (an override with
# other semantics keeps its own backward). It knows dot by name: the general form, a backward
# template over blocks of an op's inputs, would be a template dialect that only dot uses today.
EAGER_BRANCH = [
    "            g = node.grad",
    "            prev = node._prev",
    "            n = len(prev) // 2",
    "            lead = len(prev) % 2",
    "            if lead:",
    "                prev[0].grad += g",
    "            ws = prev[lead + n - 1 : 0 : -1] if lead else prev[n - 1 :: -1]",
    "            for w, x in zip(ws, prev[: lead + n - 1 : -1]):  # last pair first",
    "                w.grad += x.data * g",
    "                x.grad += w.data * g",
]

_PROBES = ((0.75, -1.5, 2.25, 0.375, -3.0), (-0.625, 1.25), (1.5,), (-2e3, 7e5, -3e-4, 9e4, 1e-6))


def follows_the_rule(op: Any) -> bool:
    """Whether `op`'s forward and backward are the dot rule at a few probe inputs."""
    try:
        for xs in _PROBES:
            lead, n = len(xs) % 2, len(xs) // 2
            ws, ins = xs[lead : lead + n], xs[lead + n :]
            g = 0.8125
            expected = [g] * lead + [x * g for x in ins] + [w * g for w in ws]
            out = op.forward(*xs)
            if out != sequential_sum(map(mul, ws, ins), 0.0 + xs[0] if lead else 0.0):
                return False
            if list(op.backward(g, out, *xs)) != expected:
                return False
    except Exception:  # a broken op is not ours to report here; its own backward will be
        return False
    return True
