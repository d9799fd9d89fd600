"""`explain(value)`: backpropagation written out, step by step, in the order the engine runs it.

The forward pass is every value in topological order (inputs first). The backward pass is the
op nodes in reverse topological order, which is the order `Value.backward` visits them. For each
node the explanation records the upstream gradient (the node's `.grad` when its turn comes), and
for each input the *local derivative*, `op.backward(1.0, out, *inputs)`, and the *product*,
`op.backward(upstream, out, *inputs)`, which is exactly what the engine adds to that input's
`.grad`. Both come from the op's own `backward`, so a plugin's op is explained with no extra
code. A value that feeds several consumers receives one contribution from each; its gradient is
their sum, added in the order listed, as the engine adds them, so every number here equals what
`.backward()` puts in `.grad` on a fresh graph.

`explain` only reads the graph: it does not touch any `.grad`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ._backward import topological_order
from ._errors import OpContractError
from ._explain_records import BackwardStep, Contribution, Node, Term
from ._explain_text import render
from ._registry import registry
from ._value import Value

__all__ = ["BackwardStep", "Contribution", "Explanation", "Node", "Term", "explain"]


@attrs.frozen
class Explanation:
    """The forward and backward passes of one graph, as data; `str()` gives the text.

    `nodes` is in topological order (the forward pass), `backward` in the engine's order.
    `explanation[value]` is the `Node` of a `Value` of the graph.
    """

    nodes: tuple[Node, ...]
    root: str
    backward: tuple[BackwardStep, ...]
    _ids: Mapping[Value, str] = attrs.field(repr=False, eq=False, alias="ids")
    _by_id: dict[str, Node] = attrs.field(init=False, repr=False, eq=False)

    @_by_id.default
    def _index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    @property
    def forward(self) -> tuple[Node, ...]:
        """The op nodes in the order the forward pass computed them."""
        return tuple(n for n in self.nodes if n.op)

    def node(self, node_id: str) -> Node:
        """The node with id `node_id` (`v0`, `v1`, ...)."""
        return self._by_id[node_id]

    def __getitem__(self, value: Value) -> Node:
        return self._by_id[self._ids[value]]

    def text(self, *, color: bool = False, digits: int = 6) -> str:
        """The explanation as aligned text: forward, backward, gradients. `color` adds ANSI
        colours (for a terminal); numbers are shown with `digits` significant digits."""
        return render(self, color=color, digits=digits)

    def __str__(self) -> str:
        return self.text()

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON. Non-finite numbers become the strings "nan", "inf", "-inf", so
        the result is strict JSON."""
        nodes = [
            {
                "id": n.id,
                "name": n.name,
                "op": n.op,
                "param": {k: _plain(v) for k, v in n.param.items()},
                "inputs": list(n.inputs),
                "data": _plain(n.data),
                "grad": _plain(n.grad),
                "contributions": [
                    {"step": c.step, "value": _plain(c.value)} for c in n.contributions
                ],
            }
            for n in self.nodes
        ]
        steps = [
            {
                "step": s.step,
                "node": s.node,
                "op": s.op,
                "upstream": _plain(s.upstream),
                "terms": [
                    {"input": t.input, "local": _plain(t.local), "product": _plain(t.product)}
                    for t in s.terms
                ],
            }
            for s in self.backward
        ]
        return {"root": self.root, "nodes": nodes, "backward": steps}


def _plain(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)  # "nan", "inf", "-inf"
    return x


def _float(x: Any) -> float:
    return float(x.data if isinstance(x, Value) else x)


def _run_backward(node: Value, upstream: float, inputs: Sequence[float]) -> list[Any]:
    """`op.backward(upstream, out, *inputs, **param)` for one node, with the engine's checks."""
    op = node._op  # the op object itself: it may be unregistered since (registry.temporary)
    try:
        result = list(op.backward(upstream, node.data, *inputs, **node.param))
    except Exception as exc:  # a broken op: name it, as the engine does
        raise OpContractError(op, registry.plugin_of(op), f"backward raised {exc!r}") from exc
    if len(result) != len(inputs):
        raise OpContractError(
            op,
            registry.plugin_of(op),
            f"backward must return one gradient per input ({len(inputs)}), got {len(result)}",
        )
    return result


def explain(root: Value, labels: Mapping[Value, str] | None = None) -> Explanation:
    """The forward and backward passes of the graph that computed `root`, step by step.

    `labels` names values (`{x: "x", out: "out"}`); the others are called by their id. The
    gradients are those `root.backward()` gives on a graph whose `.grad`s are all zero; no
    `.grad` is read or written.
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain expects a Value, got {type(root).__name__}")
    labels = labels or {}
    order = topological_order(root)
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    # The engine's running sums: `p.grad += g` from 0.0, the root seeded with 1.0.
    acc: dict[Value, Any] = dict.fromkeys(order, 0.0)
    acc[root] = 1.0
    parts: dict[Value, list[Contribution]] = {v: [] for v in order}
    parts[root].append(Contribution(0, 1.0))
    steps = []
    for k, node in enumerate(reversed([v for v in order if v.op]), start=1):
        upstream = acc[node]
        parents = node.parents
        xs = [p.data for p in parents]
        local = _run_backward(node, 1.0, xs)
        products = _run_backward(node, upstream, xs)
        for p, g in zip(parents, products):
            acc[p] = acc[p] + g
            parts[p].append(Contribution(k, _float(g)))
        terms = tuple(
            Term(ids[p], _float(d), _float(g)) for p, d, g in zip(parents, local, products)
        )
        steps.append(BackwardStep(k, ids[node], node.op, _float(upstream), terms))
    nodes = tuple(
        Node(
            id=ids[v],
            name=labels.get(v, ids[v]),
            op=v.op,
            param=v.param,
            inputs=tuple(ids[p] for p in v.parents),
            data=v.data,
            grad=_float(acc[v]),
            contributions=tuple(parts[v]),
        )
        for v in order
    )
    return Explanation(nodes, ids[root], tuple(steps), ids=ids)
