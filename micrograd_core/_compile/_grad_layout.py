"""Where the pure-Python executor's backward keeps each gradient, and how it sums it.

Eager `backward` gives every node the gradient 0.0 + c1 + c2 + ..., one contribution per
(consumer, input) edge in a fixed order (`_plan` records it). Most contributions in real graphs
have one of two shapes, read off the consumer op's fast path (see `_fastpaths`):
- *plain*: the consumer's own gradient (`"g"`, as in add and sum);
- *factor*: one of the consumer's inputs times its gradient (`"x1 * g"`, as in mul).
Those are summed straight from the value array `V` and the gradient array `B`: a node's
gradient is `sum(map(mul, factors, gradients))`, with no per-edge array in between. Only the
other edges (relu's `g if out > 0 else 0.0 * g`, an op without templates) are stored, by their
op, in slots of `B`, and then summed as plain contributions.

The same factor or gradient tuple is read by many nodes (in a dense layer, every weight of a
neuron reads that neuron's gradient over the samples), so a node's contributions are cut into
*segments*, one per consumer group and kind; identical segments are gathered once per replay
(see `_python_backward`). A node whose gradient is a single plain contribution (a product
inside a sum) gets no slot at all: it shares its consumer's, since 0.0 + g is g (a gradient
is never -0.0).
A node fed by many short runs (a constant read by every node of a chain) gets them as one run
instead, plain contributions multiplied by 1.0 (which changes no float).
Nodes that depend on no input leaf need no gradient and get none.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import NamedTuple

from .._value import Value
from ._plan import SEED, Plan

PLAIN, FACTOR = "plain", "factor"
B_ZERO, B_SEED = 0, 1  # B slots holding 0.0 (a gradient with no contribution) and the seed 1.0
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
                return (FACTOR, int(other[1:]))  # x*g and g*x: the same float (NaNs aside)
    return None


class Contribution(NamedTuple):
    """One edge's contribution to its input's gradient: `V[factor] * B[grad]` (FACTOR) or
    `B[grad]` (PLAIN: the consumer's gradient, or a contribution its op stored there)."""

    key: tuple[int, str]  # (consumer group, kind): a segment is a run of equal keys
    kind: str
    factor: int  # V slot (FACTOR only)
    grad: int  # B slot
    stored: bool  # computed by the op; unlike a summed gradient, it may be -0.0


_new = tuple.__new__  # Contribution(...) without NamedTuple's Python-level __new__ (96k per demo)


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
    """B's layout and every node's contributions. `rules[k]` lists the Rule of each input of
    group k, or holds one Rule for all of them (variadic ops, and `[None]` for an op without
    backward templates). Nodes are known by their V slot."""

    def __init__(self, plan: Plan, rules: list[list[Rule]]) -> None:
        self.plan = plan
        self.rules = [r * g.n_inputs if len(r) == 1 else r for r, g in zip(rules, plan.groups)]
        self.one = plan.size  # V's extra last slot, holding 1.0 (see _merged)
        need = [True] * len(plan.inputs) + [False] * (plan.size - len(plan.inputs))
        for g in plan.groups:  # a node needs a gradient if it depends on an input leaf
            flags = [False] * len(g.nodes)
            for col in g.inputs:
                flags = [f or need[s] for f, s in zip(flags, col)]
            need[g.start : g.start + len(g.nodes)] = flags
        self.size = 2  # B[B_ZERO] = 0.0, B[B_SEED] = 1.0
        self.gs = [B_ZERO] * plan.size  # B slot of each node's gradient (B_ZERO: it is 0.0)
        self.signed: set[int] = set()  # stored slots that are also a node's gradient
        self.ebase: dict[int, int] = {}  # group -> B slot of its stored contributions
        self.live: dict[int, list[int]] = {}  # group -> its nodes with a gradient (indices)
        self.batches: list[list[Batch]] = []  # per group, then one list for the input leaves
        self._contrib: list[Contribution | None] = [None] * plan.n_edges  # by edge number
        for k in reversed(range(len(plan.groups))):  # consumers before their inputs
            g = plan.groups[k]
            blind = None not in self.rules[k]  # see _grads
            self.batches.append(self._grads(g.nodes, g.start, need, blind))
            live = [i for i in range(len(g.nodes)) if self.gs[g.start + i] != B_ZERO]
            if live and any(
                r is None and any(need[s] for s in g.inputs[j]) for j, r in enumerate(self.rules[k])
            ):
                self.ebase[k], self.live[k] = self.size, live
                self.size += g.n_inputs * len(live)
            self._edges(k)
        self.batches.reverse()
        self.batches.append(self._grads(plan.inputs, 0, need, True))

    def _edges(self, k: int) -> None:
        """The contributions of group k's edges (its gradients have their slots by now)."""
        g = self.plan.groups[k]
        n, contrib = len(g.nodes), self._contrib
        grads = self.gs[g.start : g.start + n]
        rank = {i: r for r, i in enumerate(self.live.get(k, ()))}
        for j, r in enumerate(self.rules[k]):
            e = g.edge_base + j * n
            if r is None:  # stored by the op, for the nodes that have a gradient
                if k in self.ebase:
                    b, key = self.ebase[k] + j * len(rank), (k, PLAIN)
                    contrib[e : e + n] = [
                        _new(
                            Contribution,
                            (key, PLAIN, -1, b + rank[i] if i in rank else B_ZERO, True),
                        )
                        for i in range(n)
                    ]
            elif r[0] == PLAIN:
                key = (k, PLAIN)  # the same key as stored ones: both are read from B
                contrib[e : e + n] = [_new(Contribution, (key, PLAIN, -1, q, False)) for q in grads]
            else:
                key = (k, FACTOR)
                contrib[e : e + n] = [
                    _new(Contribution, (key, FACTOR, f, q, False))
                    for f, q in zip(g.inputs[r[1]], grads)
                ]

    def _merged(self, edges: list[int]) -> Segment:
        """All of a node's contributions as one FACTOR segment (plain ones times V[ONE], 1.0)."""
        merged = Segment(FACTOR)
        for e in edges:
            c = self._contrib[e]
            assert c is not None
            merged.factors.append(c.factor if c.kind == FACTOR else self.one)
            merged.grads.append(c.grad)
        return merged

    def _grads(self, nodes: list[Value], start: int, need: list[bool], blind: bool) -> list[Batch]:
        """Slots, or batches, for the gradients of `nodes` (V slots start, start + 1, ...).

        `blind`: these nodes' gradients only reach sums that start from 0 (their op's
        contributions are all plain or factor, and a factor times -0.0 or 0.0 only feeds such
        sums too; input leaves are added to `.grad`), where -0.0 and 0.0 give the same result.
        Such a node may share the slot of a single stored contribution, although eager's
        0.0 + c would turn a -0.0 into 0.0. (An input leaf whose `.grad` is -0.0 before
        `backward` is the exception: -0.0 + -0.0 stays -0.0, and eager's 0.0 would not.)"""
        batches: dict[tuple[str, ...], Batch] = {}
        node_edges, contrib, gs = self.plan.node_edges, self._contrib, self.gs
        for i, v in enumerate(nodes):
            edges = node_edges.get(v)
            if not need[start + i] or edges is None or len(edges) == 1:
                continue  # no input below it, or no path to the output: gradient 0.0
            if edges[0] == SEED:
                gs[start + i] = B_SEED  # the output: eager sets its .grad to 1.0
                continue
            edges = edges[:-1]  # without the final ZERO pad (numpy's)
            first = contrib[edges[0]]
            assert first is not None
            signed = first.stored or first.grad in self.signed  # may hold -0.0
            if len(edges) == 1 and first.kind == PLAIN and (blind or not signed):
                gs[start + i] = first.grad  # 0.0 + g is g: share the consumer's slot
                if signed:
                    self.signed.add(first.grad)
                continue
            segments: list[Segment] = []
            last = None
            for e in edges:
                c = contrib[e]
                assert c is not None
                if c.key != last:
                    segments.append(Segment(c.kind))
                    last = c.key
                if c.kind == FACTOR:
                    segments[-1].factors.append(c.factor)
                segments[-1].grads.append(c.grad)
            if len(segments) > MAX_SEGMENTS:  # e.g. a constant read by every node of a chain
                segments = [self._merged(edges)]
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
