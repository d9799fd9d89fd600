"""Sums of products, computed as one `sum(map(mul, ws, xs), start)` per node (pure-Python
executor, forward). Two shapes of graph qualify:
- a node whose own fast path is a left-to-right sum of products of its inputs, from 0.0 and
  an optional leading input (`((0.0 + x0) + (x1 * x3)) + (x2 * x4)`: a neuron's `dot` node, as
  derived from the op's methods);
- a sum node whose inputs are products that nothing else reads (`sum(p*p for p in params)`):
  those products are then never written to `V` (mul's backward needs its inputs and its
  gradient, not its output).
Rows of factors are gathered once per distinct row, so a layer reads each neuron's weights and
each sample's inputs once, not once per node.

Which ops qualify is read off their fast paths (see `_fastpaths`), as for the backward
(`_grad_layout`): a sum is an op whose forward is `sequential_sum(xs)` and whose backward passes
`g` through; a product is a two-input op whose forward is `x0 * x1` and whose backward is
`x1 * g`, `x0 * g`. The order of the additions is kept: the leading input, then the products.
"""

from __future__ import annotations

import ast
from collections import Counter
from typing import Any

from .._fastpaths import Template
from .._floats import sequential_sum
from .._value import Value
from ._codegen import ROUNDS_MAX, bind, distinct, first_index, gather, getter
from ._grad_layout import FACTOR, PLAIN, rule_of
from ._plan import Plan


class _Names(dict[str, str]):
    """Renders every template hole as its own name (`{x1}` -> `x1`)."""

    def __missing__(self, key: str) -> str:
        return key


def _is_sum(tpl: Template | None) -> bool:
    if tpl is None or tpl.forward is None or tpl.backward is None:
        return False
    if rule_of(tpl.backward[0].format_map(_Names())) != (PLAIN, 0):
        return False
    call = ast.parse(tpl.forward.format_map(_Names()), mode="eval").body
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and tpl.globals.get(call.func.id) is sequential_sum
        and len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id == "xs"
    )


def _is_product(tpl: Template | None) -> bool:
    if tpl is None or tpl.forward is None or tpl.backward is None or len(tpl.backward) != 2:
        return False
    names = _Names()
    node = ast.parse(tpl.forward.format_map(names), mode="eval").body
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return False
    operands = [getattr(side, "id", None) for side in (node.left, node.right)]
    rules = [rule_of(b.format_map(names)) for b in tpl.backward]
    return operands == ["x0", "x1"] and rules == [(FACTOR, 1), (FACTOR, 0)]  # x0 * x1 exactly


def _fold(tpl: Template | None) -> tuple[int | None, list[tuple[int, int]]] | None:
    """(leading input or None, the (i, j) of each product x_i * x_j) if the template's forward
    is `(((0.0 + lead) + x_i * x_j) + ...)`, a left-to-right sum of products from 0.0."""
    if tpl is None or tpl.forward is None or tpl.uniform or tpl.backward is None:
        return None
    try:
        node = ast.parse(tpl.forward.format_map(_Names()), mode="eval").body
    except (SyntaxError, RecursionError, MemoryError):
        return None
    terms: list[ast.expr] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        terms.append(node.right)
        node = node.left
    if not (isinstance(node, ast.Constant) and type(node.value) is float and node.value == 0.0):
        return None
    terms.reverse()
    lead = None
    if terms and isinstance(terms[0], ast.Name):
        lead = _input(terms.pop(0))
        if lead is None:
            return None
    pairs = []
    for t in terms:
        if not (isinstance(t, ast.BinOp) and isinstance(t.op, ast.Mult)):
            return None
        i, j = _input(t.left), _input(t.right)
        if i is None or j is None:
            return None
        pairs.append((i, j))
    return (lead, pairs) if pairs else None


def _input(node: ast.expr) -> int | None:
    name = getattr(node, "id", "")
    return int(name[1:]) if name[:1] == "x" and name[1:].isdigit() else None


class Contraction:
    """Which groups run as fused sums of products, and which product groups need not run."""

    def __init__(self, plan: Plan, templates: list[Template | None], keep: set[int]) -> None:
        uses = Counter(s for g in plan.groups for col in g.inputs for s in col)
        unique = {id(t): t for t in templates}.values()
        kinds = {id(t): (_is_sum(t), _is_product(t)) for t in unique}  # once per op
        product = {
            v
            for g, tpl in zip(plan.groups, templates)
            if kinds[id(tpl)][1] and not g.params
            for v in g.nodes
            if uses[plan.slot[v]] == 1 and plan.slot[v] not in keep
        }
        # group -> per node: the slot of its leading input or None, its factors' slots
        self.fused: dict[int, list[tuple[int | None, list[int], list[int]]]] = {}
        used: set[Value] = set()
        slot = plan.slot
        for k, (g, tpl) in enumerate(zip(plan.groups, templates)):
            fold = _fold(tpl)
            if fold is not None:  # the node's own forward sums products of its inputs
                lead, pairs = fold
                self.fused[k] = [
                    (
                        None if lead is None else g.inputs[lead][r],
                        [g.inputs[i][r] for i, _ in pairs],
                        [g.inputs[j][r] for _, j in pairs],
                    )
                    for r in range(len(g.nodes))
                ]
                continue
            if not kinds[id(tpl)][0] or g.params:
                continue
            shapes = [_shape(v, product) for v in g.nodes]
            if all(s is not None for s in shapes) and len({s[0] is None for s in shapes}) == 1:
                self.fused[k] = [
                    (
                        None if lead is None else slot[lead],
                        [slot[m._prev[0]] for m in ms],
                        [slot[m._prev[1]] for m in ms],
                    )
                    for lead, ms in shapes  # type: ignore[misc]
                ]
                used.update(m for s in shapes for m in s[1])  # type: ignore[index]
        #: product groups whose every node is computed inside a fused sum
        self.skipped = {
            k for k, g in enumerate(plan.groups) if g.nodes[0] in used and used.issuperset(g.nodes)
        }

    def source(self, plan: Plan, k: int, ns: dict[str, Any]) -> list[str]:
        """`V[...] = map(sum, map(map, repeat(mul), firsts, seconds), starts)` for group k."""
        g = plan.groups[k]
        shapes = self.fused[k]
        firsts = [tuple(f) for _, f, _ in shapes]
        seconds = [tuple(z) for _, _, z in shapes]
        s, n = g.start, len(g.nodes)
        start = "_repeat(0.0)"
        if shapes[0][0] is not None:  # 0.0 + lead, as the sum begins: once per distinct lead
            unique, pick = first_index([lead for lead, _, _ in shapes])
            leads = gather(unique, "V", ns, f"_lead{k}")
            bind(ns, f"_pickL{k}", getter(pick))
            start = f"_pickL{k}(list(map(_op_add, _repeat(0.0), {leads})))"
        width = len(firsts[0])
        if width <= ROUNDS_MAX and all(len(r) == width for r in firsts):
            # a few products per node: one element-wise round per position beats a map per node
            acc = start
            for r in range(width):
                a = gather([row[r] for row in firsts], "V", ns, f"_a{k}_{r}")
                z = gather([row[r] for row in seconds], "V", ns, f"_z{k}_{r}")
                acc = f"map(_op_add, {acc}, map(_op_mul, {a}, {z}))"
            return [
                f"    # {g.op.name} of products ({width} per node) x {n}",
                f"    V[{s}:{s + n}] = {acc}",
            ]
        a, pick_a = distinct(firsts, "V", f"A{k}", ns)
        z, pick_z = distinct(seconds, "V", f"Z{k}", ns)
        bind(ns, f"_pickA{k}", getter(pick_a))
        bind(ns, f"_pickZ{k}", getter(pick_z))
        lines = [f"    # {g.op.name} of products x {len(g.nodes)}", f"    A = {a}", f"    Z = {z}"]
        rows = f"map(map, _rmul, _pickA{k}(A), _pickZ{k}(Z))"
        return [*lines, f"    V[{s}:{s + n}] = map(_seqsum, {rows}, {start})"]  # from 0 + lead


def _shape(v: Value, product: set[Value]) -> tuple[Value | None, list[Value]] | None:
    """(leading non-product input or None, the products) if `v` sums products, else None."""
    prev = v._prev
    lead = None if prev[0] in product else prev[0]
    rest = list(prev[1:] if lead is not None else prev)
    if not rest or not all(m in product for m in rest):
        return None
    return lead, rest
