"""Where the pure-Python executor's backward keeps each gradient, and how it sums it.

Eager `backward` gives every node the gradient 0.0 + c1 + c2 + ..., one contribution per
(consumer, input) edge in a fixed order (`_plan` records it). Most contributions in real graphs
have one of two shapes, read off the consumer op's `backward_source`:
- *plain*: the consumer's own gradient (`"g"`, as in add and sum);
- *factor*: one of the consumer's inputs times its gradient (`"x1 * g"`, as in mul).
Those are summed straight from the value array `V` and the gradient array `B`: a node's
gradient is `sum(map(mul, factors, gradients))`, with no per-edge array in between. Only the
other edges (relu's `(out > 0) * g`, an op without templates) are stored, by their op, in slots
of `B`, and then summed as plain contributions.

The same factor or gradient tuple is read by many nodes (in a dense layer, every weight of a
neuron reads that neuron's gradient over the samples), so a node's contributions are cut into
*segments*, one per consumer group and kind; identical segments are gathered once per replay
(see `_pygrad`). A node whose gradient is a single plain contribution (a product inside a sum)
gets no slot at all: it shares its consumer's, since 0.0 + g is g (a gradient is never -0.0).
A node fed by many short runs (a constant read by every node of a chain) gets them as one run
instead, plain contributions multiplied by 1.0 (which changes no float).
Nodes that depend on no input leaf need no gradient and get none.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import Any

from .._value import Value
from ._plan import SEED, ZERO, Plan

PLAIN, FACTOR = "plain", "factor"
Rule = tuple[str, int] | None  # (PLAIN, 0), (FACTOR, k) for input k, or None: a stored edge
MAX_SEGMENTS = 8  # a node with more runs of contributions gets them as one run: see _merged


@lru_cache(maxsize=256)
def rule_of(expr: str | None) -> Rule:
    """The shape of one rendered backward template, e.g. `(x1 * g)` -> (FACTOR, 1)."""
    if expr is None:
        return None
    try:
        node = ast.parse(expr, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name) and node.id == "g":
        return (PLAIN, 0)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        names = [getattr(node.left, "id", None), getattr(node.right, "id", None)]
        if "g" in names:
            other = names[1 - names.index("g")]
            if other is not None and other[:1] == "x" and other[1:].isdigit():
                return (FACTOR, int(other[1:]))  # x*g and g*x are the same float
    return None


class Segment:
    """Consecutive contributions to one node from one consumer group, of one kind."""

    __slots__ = ("factors", "grads", "kind")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.factors: list[int] = []  # slots of V (FACTOR only)
        self.grads: list[int] = []  # slots of B


class Batch:
    """Nodes of one group whose gradients are summed by one statement (same segment kinds)."""

    __slots__ = ("kinds", "nodes", "segments", "start")

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self.nodes: list[int] = []  # V slots
        self.segments: list[list[Segment]] = []  # per node
        self.start = 0  # B slot of the first node's gradient; a batch's slots are contiguous


class GradPlan:
    """B's layout and every node's contributions; `rules[k][j]` is the Rule of group k's
    input j (variadic groups: one rule for every input). Nodes are known by their V slot."""

    def __init__(self, plan: Plan, rules: list[list[Rule]]) -> None:
        self.plan, self.rules = plan, rules
        self.one = plan.size  # V's extra last slot, holding 1.0 (see _merged)
        need = [True] * len(plan.inputs) + [False] * (plan.size - len(plan.inputs))
        for g in plan.groups:  # a node needs a gradient if it depends on an input leaf
            flags = [False] * len(g.nodes)
            for col in g.inputs:
                flags = [f or need[s] for f, s in zip(flags, col)]
            need[g.start : g.start + len(g.nodes)] = flags
        self.size = 2  # B[ZERO] = 0.0, B[SEED] = 1.0
        self.gs = [ZERO] * plan.size  # B slot of each node's gradient (ZERO: it is 0.0)
        self.signed: set[int] = set()  # stored slots that are also a node's gradient
        self.ebase: dict[int, int] = {}  # group index -> B slot of its stored edges
        self.batches: list[list[Batch]] = []  # per group, then one list for the input leaves
        # edge -> (segment key, kind, V slot of the factor or -1, B slot, stored?), filled
        # group by group, last to first, once the group's own gradients have their slots
        self._contrib: list[Any] = [None] * plan.n_edges
        for k in reversed(range(len(plan.groups))):
            g = plan.groups[k]
            blind = None not in self._positions(k)  # see _grads
            self.batches.append(self._grads(g.nodes, g.start, need, blind))
            if any(
                r is None and any(need[s] for s in g.inputs[j])
                for j, r in enumerate(self._positions(k))
            ):
                self.ebase[k] = self.size
                self.size += g.n_inputs * len(g.nodes)
            self._edges(k)
        self.batches.reverse()
        self.batches.append(self._grads(plan.inputs, 0, need, True))

    def _positions(self, k: int) -> list[Rule]:
        g = self.plan.groups[k]
        rules = self.rules[k]
        return rules * g.n_inputs if len(rules) == 1 and g.n_inputs > 1 else rules

    def rule(self, k: int, j: int) -> Rule:
        rules = self.rules[k]
        return rules[0] if len(rules) == 1 else rules[j]

    def _edges(self, k: int) -> None:
        g = self.plan.groups[k]
        n, contrib = len(g.nodes), self._contrib
        grads = self.gs[g.start : g.start + n]
        for j, r in enumerate(self._positions(k)):
            e = g.edge_base + j * n
            if r is None:
                if k in self.ebase:
                    b = self.ebase[k] + j * n
                    key = (k, PLAIN)
                    contrib[e : e + n] = [(key, PLAIN, -1, b + i, True) for i in range(n)]
            elif r[0] == PLAIN:
                key = (k, PLAIN)
                contrib[e : e + n] = [(key, PLAIN, -1, q, False) for q in grads]
            else:
                key = (k, FACTOR)
                contrib[e : e + n] = [
                    (key, FACTOR, f, q, False) for f, q in zip(g.inputs[r[1]], grads)
                ]

    def _merged(self, edges: list[int]) -> Segment:
        """All of a node's contributions as one FACTOR segment (plain ones times V[ONE], 1.0)."""
        merged = Segment(FACTOR)
        for e in edges:
            _, kind, f, q, _ = self._contrib[e]
            merged.factors.append(f if kind == FACTOR else self.one)
            merged.grads.append(q)
        return merged

    def _grads(self, nodes: list[Value], start: int, need: list[bool], blind: bool) -> list[Batch]:
        """Slots, or batches, for the gradients of `nodes` (V slots start, start + 1, ...).

        `blind`: these nodes' gradients only ever reach sums that start from 0 (their op's
        contributions are all plain or factor; input leaves are added to `.grad`), where -0.0
        and 0.0 give the same result. Such a node may share the slot of a single stored
        contribution, although eager's 0.0 + c would turn a -0.0 into 0.0."""
        batches: dict[tuple[str, ...], Batch] = {}
        node_edges, contrib, gs = self.plan.node_edges, self._contrib, self.gs
        for i, v in enumerate(nodes):
            edges = node_edges.get(v)
            if not need[start + i] or edges is None or len(edges) == 1:
                continue  # no input below it, or no path to the output: gradient 0.0
            if edges[0] == SEED:
                gs[start + i] = SEED  # the output: eager sets its .grad to 1.0
                continue
            first = contrib[edges[0]]
            signed = first[4] or first[3] in self.signed  # may hold -0.0
            if len(edges) == 2 and first[1] == PLAIN and (blind or not signed):
                gs[start + i] = first[3]  # 0.0 + g is g: share the consumer's slot
                if signed:
                    self.signed.add(first[3])
                continue
            segments: list[Segment] = []
            last = None
            for e in edges[:-1]:  # without the final 0.0 pad
                key, kind, f, q, _ = contrib[e]
                if key != last:  # a segment: one consumer group, one kind
                    segments.append(Segment(kind))
                    last = key
                if kind == FACTOR:
                    segments[-1].factors.append(f)
                segments[-1].grads.append(q)
            if len(segments) > MAX_SEGMENTS:  # e.g. a constant read by every node of a chain
                segments = [self._merged(edges[:-1])]
            kinds = tuple(s.kind for s in segments)
            batch = batches.setdefault(kinds, Batch(kinds))
            batch.nodes.append(start + i)
            batch.segments.append(segments)
        for batch in batches.values():
            batch.start = self.size
            for i, node in enumerate(batch.nodes):
                gs[node] = self.size + i
            self.size += len(batch.nodes)
        return list(batches.values())
