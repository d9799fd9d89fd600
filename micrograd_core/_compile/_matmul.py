"""Groups of sums of products that are one matrix product (numpy executor).

A node whose fast path is a left-to-right sum of products of its inputs,
`((0.0 + x0) + (x1 * x3)) + (x2 * x4)` (a neuron's `dot`, recognised by `_fused_sums._fold`
from the derived fast path, never by the op's name), computes `lead + a . z` for a row of
first factors `a` (x1, x2) and a row of second factors `z` (x3, x4). A dense layer over many
samples is a group of such nodes whose `a` rows are the neurons' weights, the same Values again
for every sample, and whose `z` rows are the samples' inputs, the same Values again for every
neuron. Rows are told apart by the identities of their Values. When the group has few distinct
rows of each kind (distinct `a` rows times distinct `z` rows at most twice the nodes), it is
one product `Z @ A.T` of a matrix of distinct `z` rows by one of distinct `a` rows, and its
backward two more, `G.T @ Z` and `G @ A` (see `_numpy_executor`).

The backward does not need one gradient edge per (node, input) then: a weight's contribution
from the whole group is one element of `G.T @ Z`. So a lowered group has one edge per element
of a distinct row (`Lowered.edges`), and the plan never lists the group's inputs per node: a
1,000-sample MLP 2-64-64-1 has 16.5 million (node, input) pairs and 134,417 such edges.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from .._value import Value
from ._codegen import template
from ._fused_sums import _fold
from ._grad_layout import FACTOR, PLAIN, rule_of
from ._plan import Group

#: A group is lowered when (distinct a rows) x (distinct z rows) <= DENSITY x nodes: the matrix
#: product then computes at most twice the products the nodes need.
DENSITY = 2


class Lowered:
    """How group `k`'s nodes map onto one matrix product; slots are `V` slots.

    `pa[r]`, `pz[r]`: the a row and z row of node r; `a_rows` (distinct a rows x width) and
    `z_rows` (distinct z rows x width): their slots. `layout` is "za" when node r is element
    (pz[r], pa[r]) of `Z @ A.T` read row by row (nodes grouped by sample, as a layer builds
    them), "az" for `A @ Z.T`, "scatter" otherwise. `lead`: "a" (one lead per a row, a bias),
    "z", "node" or None (no lead input), with `lead_slots` accordingly."""

    __slots__ = (
        "a_rows",
        "a_values",
        "edge_base",
        "layout",
        "lead",
        "lead_slots",
        "lead_values",
        "pa",
        "pz",
        "z_rows",
        "z_values",
    )

    def __init__(self) -> None:
        self.a_rows: list[list[int]] = []
        self.z_rows: list[list[int]] = []
        self.a_values: list[tuple[Value, ...]] = []
        self.z_values: list[tuple[Value, ...]] = []
        self.pa: list[int] = []
        self.pz: list[int] = []
        self.layout = "scatter"
        self.lead: str | None = None
        self.lead_slots: list[int] = []
        self.lead_values: list[Value] = []
        self.edge_base = 0  # E slot of the group's first edge (set by the plan)

    @property
    def width(self) -> int:
        return len(self.a_rows[0])

    def edges(self) -> int:
        """Gradient edges of the group: the lead's, then a's elements, then z's."""
        return len(self.lead_slots) + (len(self.a_rows) + len(self.z_rows)) * self.width


def _shape(g: Group) -> tuple[int | None, list[int], list[int]] | None:
    """(lead input, first factors' inputs, second factors' inputs) when the group's fast path
    is a sum of products whose backward is the product rule, every input used exactly once."""
    if g.params:
        return None
    tpl = template(g, {})
    fold = _fold(tpl)
    if fold is None or tpl is None or tpl.backward is None:
        return None
    lead, pairs = fold
    firsts, seconds = [i for i, _ in pairs], [j for _, j in pairs]
    used = [*([] if lead is None else [lead]), *firsts, *seconds]
    if sorted(used) != list(range(g.n_inputs)):
        return None
    names = {f"x{j}": f"x{j}" for j in range(g.n_inputs)} | {"g": "g", "out": "out"}
    rules = [rule_of(b.format(**names)) for b in tpl.backward]
    expected: list[Any] = [None] * g.n_inputs
    if lead is not None:
        expected[lead] = (PLAIN, 0)
    for i, j in pairs:
        expected[i], expected[j] = (FACTOR, j), (FACTOR, i)
    return (lead, firsts, seconds) if rules == expected else None


class Lowering:
    """`lower` for the groups of one plan, reading each op's fast path once per input count
    and params (a chain has a group per node, all of the same op)."""

    def __init__(self) -> None:
        self._shapes: dict[Any, tuple[int | None, list[int], list[int]] | None] = {}

    def __call__(self, g: Group, slot: dict[Value, int]) -> Lowered | None:
        key = (id(g.op), g.n_inputs, g.key)
        if key not in self._shapes:
            self._shapes[key] = _shape(g)
        shape = self._shapes[key]
        return None if shape is None else lower(g, slot, shape)


def lower(
    g: Group, slot: dict[Value, int], shape: tuple[int | None, list[int], list[int]] | None = None
) -> Lowered | None:
    """Group g as one matrix product, or None (not a sum of products, or too sparse);
    `shape`: `_shape(g)`, when known."""
    shape = shape or _shape(g)
    if shape is None:
        return None
    lead, firsts, seconds = shape
    get_a = itemgetter(*firsts) if len(firsts) > 1 else (lambda row: (row[firsts[0]],))
    get_z = itemgetter(*seconds) if len(seconds) > 1 else (lambda row: (row[seconds[0]],))
    rows = [v._prev for v in g.nodes]
    a_index: dict[tuple[Value, ...], int] = {}
    z_index: dict[tuple[Value, ...], int] = {}
    m = Lowered()
    # setdefault hashes a row of Values by identity, in C: no Python work per weight
    m.pa = [a_index.setdefault(r, len(a_index)) for r in map(get_a, rows)]
    m.pz = [z_index.setdefault(r, len(z_index)) for r in map(get_z, rows)]
    n = len(g.nodes)
    if len(a_index) * len(z_index) > DENSITY * n:
        return None
    m.a_values, m.z_values = list(a_index), list(z_index)
    m.a_rows = [list(map(slot.__getitem__, r)) for r in m.a_values]
    m.z_rows = [list(map(slot.__getitem__, r)) for r in m.z_values]
    ua, uz = len(a_index), len(z_index)
    grid = n == ua * uz
    if grid and m.pa == [r % ua for r in range(n)] and m.pz == [r // ua for r in range(n)]:
        m.layout = "za"  # sample by sample, neuron by neuron: Z @ A.T row by row
    elif grid and m.pz == [r % uz for r in range(n)] and m.pa == [r // uz for r in range(n)]:
        m.layout = "az"
    if lead is not None:
        leads = [row[lead] for row in rows]
        m.lead = "node"
        for kind, pick, count in (("a", m.pa, ua), ("z", m.pz, uz)):
            per: list[Value | None] = [None] * count
            for p, v in zip(pick, leads):
                per[p] = v
            if m.layout != "scatter" and all(per[p] is v for p, v in zip(pick, leads)):
                m.lead, leads = kind, per  # type: ignore[assignment]
                break
        m.lead_values = leads
        m.lead_slots = [slot[v] for v in leads]
    return m
