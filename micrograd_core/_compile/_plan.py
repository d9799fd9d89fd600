"""The flat program: a traced graph laid out for replay.

Every node gets a slot in one flat value array `V`: the input leaves first, then the constant
leaves, then the interior nodes grouped by (level, op, number of inputs, params), where a node's
level is one more than its deepest parent. Nodes of one group run as one vectorised statement,
and a group only reads slots of lower levels, so the groups in level order are a valid schedule.

Every (node, input) edge has a number (`Group.edge_base`), and `node_edges` lists, per node,
the edges its gradient sums, in exactly the order the eager `backward` accumulates them
(consumers in reverse topological order, inputs left to right), ending with `ZERO`. Summed from
0.0, as a fresh `.grad` is, that makes every gradient equal to eager's float for float. The
numpy executor stores each edge's contribution in an edge array `E` (`E[0]` is 0.0, padding
that keeps every gather a tuple; `E[1]` is the seed 1.0 of the output); the pure-Python one
sums most contributions without storing them (`_grad_layout`).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import repeat
from typing import Any

from .._backward import topological_order
from .._value import Value

ZERO, SEED = 0, 1


class Group:
    """Nodes computed by one vectorised statement: same level, op, input count and params."""

    __slots__ = ("edge_base", "inputs", "key", "n_inputs", "nodes", "op", "params", "start")

    def __init__(self, op: Any, params: dict[str, Any], n_inputs: int, key: Any = ()) -> None:
        self.op = op
        self.params = params
        self.key = key  # the params, hashable
        self.n_inputs = n_inputs
        self.nodes: list[Value] = []
        self.start = 0  # slot of the first node; a group's slots are contiguous
        self.inputs: list[list[int]] = []  # per input position, the slots read, one per node
        self.edge_base = 0  # E[edge_base + j * len(nodes) + i]: node i's input j

    def edges(self, j: int) -> tuple[int, int]:
        n = len(self.nodes)
        return self.edge_base + j * n, self.edge_base + (j + 1) * n


class Plan:
    """Slots, groups and gradient wiring of a traced graph (executor independent)."""

    def __init__(
        self,
        outputs: list[Value],
        created: set[int],
        lower: Callable[[Group, dict[Value, int]], Any] | None = None,
    ) -> None:
        """`lower(group, slot)`: a group's matrix-product form (`_matmul.Lowered`) or None;
        a lowered group lists no inputs per node, and its edges are its rows' elements."""
        topo = topological_order(outputs[0])
        order = _forward_order(outputs, topo)
        leaves = [v for v in order if v._op is None]
        self.inputs = [v for v in leaves if id(v) not in created]
        self.constants = [v for v in leaves if id(v) in created]
        slot: dict[Value, int] = {v: i for i, v in enumerate(self.inputs + self.constants)}
        level: dict[Value, int] = dict.fromkeys(leaves, 0)
        by_level: dict[int, dict[Any, Group]] = {}
        parents: dict[Value, tuple[Value, ...]] = {}
        depth = level.__getitem__
        for v in order:
            op = v._op
            if op is None:
                continue
            # the parents read off the slots (the `_prev` property is a call per node)
            a = v._a
            if a is None:
                prev = v._many
                lv = 1 + max(map(depth, prev))
            elif v._b is None:
                prev = (a,)
                lv = 1 + level[a]
            else:
                prev = (a, v._b)
                lv = 1 + max(level[a], level[v._b])
            parents[v] = prev
            level[v] = lv
            params = v._param
            pkey = _params_key(params) if params else ()
            key = (id(op), len(prev), pkey)
            groups = by_level.get(lv)
            if groups is None:
                groups = by_level[lv] = {}
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group(op, params or {}, len(prev), pkey)
            group.nodes.append(v)
        self.groups = [g for lv in sorted(by_level) for g in by_level[lv].values()]
        n = len(slot)
        for g in self.groups:
            g.start = n
            for v in g.nodes:
                slot[v] = n
                n += 1
        self.size = n  # number of nodes, leaves included
        self.lowered: dict[int, Any] = {}  # group index -> _matmul.Lowered
        for k, g in enumerate(self.groups):
            form = None if lower is None else lower(g, slot)
            if form is not None:
                self.lowered[k] = form
                continue
            rows = [parents[v] for v in g.nodes]
            g.inputs = [[slot[row[j]] for row in rows] for j in range(g.n_inputs)]
        self.outputs = [slot[v] for v in outputs]
        self.slot = slot
        self._wire(outputs[0], topo, parents)

    def _wire(
        self, root: Value, topo: list[Value], parents: dict[Value, tuple[Value, ...]]
    ) -> None:
        """Edge slots and, per node, the ordered edges its gradient sums (eager's order).

        `topo` is `topological_order(root)`; eager visits it backwards, each node's inputs
        left to right, which is the order edges are appended here."""
        n_edges = 2
        # node -> its group's Lowered form, or (edge of input 0, step to input j's, parents):
        # one lookup per node in the loop below, and the table built in C
        wiring: dict[Value, Any] = {}
        for k, g in enumerate(self.groups):
            g.edge_base = n = n_edges
            form = self.lowered.get(k)
            if form is not None:
                form.edge_base = n
                n_edges += form.edges()
                wiring.update(dict.fromkeys(g.nodes, form))
                continue
            width = len(g.nodes)
            n_edges += g.n_inputs * width
            rows = zip(range(n, n + width), repeat(width), map(parents.__getitem__, g.nodes))
            wiring.update(zip(g.nodes, rows))
        self.n_edges = n_edges
        edges: dict[Value, list[int]] = {v: [] for v in topo}
        wired: set[int] = set()
        get = wiring.get
        for v in reversed(topo):
            w = get(v)
            if w is None:
                continue  # a leaf
            if type(w) is not tuple:
                if id(w) not in wired:  # at the lowered group's last node in eager's order
                    wired.add(id(w))
                    _wire_lowered(w, edges)
                continue
            e, width, prev = w
            for p in prev:
                edges[p].append(e)
                e += width
        for contribs in edges.values():
            contribs.append(ZERO)
        edges[root] = [SEED, ZERO]  # eager sets root.grad = 1.0, whatever it held
        self.node_edges = edges  # absent nodes (outside d root) get gradient 0.0

    def grad_edges(self, v: Value) -> list[int]:
        return self.node_edges.get(v, [ZERO, ZERO])


def _wire_lowered(form: Any, edges: dict[Value, list[int]]) -> None:
    """A lowered group's edges, all at once: one per lead, then one per element of each
    distinct a row, then of each z row (each sums over the group's nodes, so its place among
    a value's other contributions cannot be eager's anyway: numpy adds it as BLAS does)."""
    e = form.edge_base
    for value in form.lead_values:
        edges[value].append(e)
        e += 1
    for rows in (form.a_values, form.z_values):
        for row in rows:
            for value in row:
                edges[value].append(e)
                e += 1


def _forward_order(outputs: list[Value], first: list[Value]) -> list[Value]:
    """All nodes the outputs depend on, parents first: the first output's order (`first`),
    then what each further output adds to it (one traversal in all, however many outputs
    share their graph: a loss and its 1,000 scores)."""
    if len(outputs) == 1:
        return first
    seen = set(first)
    order = list(first)
    for out in outputs[1:]:
        order += topological_order(out, seen)
    return order


def _params_key(params: dict[str, Any]) -> Any:
    try:
        key = tuple(sorted(params.items()))
        hash(key)
    except TypeError:
        return id(params)  # unhashable params: a group of its own
    # 2 and 2.0 hash alike but may not act alike: the types are part of the key.
    return tuple((k, type(v), v) for k, v in key)
