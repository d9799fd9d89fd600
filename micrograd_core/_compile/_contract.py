"""Sums of products, computed without storing the products (pure-Python executor, forward).

A neuron traced through `dot`'s expansion is `sum(b, w0*x0, w1*x1, ...)`: a sum node whose
inputs are products that nothing else reads. Such a sum runs as one `sum(map(mul, ws, xs), b)`
per node, and its products are never written to `V` (nothing reads them: mul's backward needs
its inputs and its gradient, not its output). Rows of factors are gathered once per distinct
row, so a layer reads each neuron's weights and each sample's inputs once, not once per node.

Which ops qualify is read off their templates, as for the backward (`_gradplan`): a sum is an
op whose forward is `sequential_sum(xs)` (left to right from 0, as the builtin sum op) and
whose backward passes `g` through; a product is a two-input op whose forward is `x0 * x1` and
whose backward is `x1 * g`, `x0 * g`. Templates are checked against the ops' methods before
they are trusted. The order of the additions is kept: the first input (if it is not a
product), then the products; so at most one leading non-product input, or the group runs as
usual.
"""

from __future__ import annotations

import ast
from collections import Counter
from typing import Any

from .._floats import sequential_sum
from .._template import Template
from .._value import Value
from ._codegen import ROUNDS_MAX, bind, distinct, first_index, gather, getter
from ._gradplan import FACTOR, PLAIN, rule_of
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


class Contraction:
    """Which sum groups run fused, and which product groups need not run at all."""

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
        self.fused: dict[int, list[tuple[Value | None, list[Value]]]] = {}  # group -> per node
        used: set[Value] = set()
        for k, (g, tpl) in enumerate(zip(plan.groups, templates)):
            if not kinds[id(tpl)][0] or g.params:
                continue
            shapes = [_shape(v, product) for v in g.nodes]
            if all(s is not None for s in shapes) and len({s[0] is None for s in shapes}) == 1:
                self.fused[k] = shapes  # type: ignore[assignment]
                used.update(m for s in shapes for m in s[1])  # type: ignore[index]
        #: product groups whose every node is computed inside a fused sum
        self.skipped = {
            k for k, g in enumerate(plan.groups) if g.nodes[0] in used and used.issuperset(g.nodes)
        }

    def source(self, plan: Plan, k: int, ns: dict[str, Any]) -> list[str]:
        """`V[...] = map(sum, map(map, repeat(mul), firsts, seconds), starts)` for group k."""
        g = plan.groups[k]
        slot = plan.slot
        shapes = self.fused[k]
        firsts = [tuple(slot[m._prev[0]] for m in ms) for _, ms in shapes]
        seconds = [tuple(slot[m._prev[1]] for m in ms) for _, ms in shapes]
        s, n = g.start, len(g.nodes)
        start = "_repeat(0)"
        if shapes[0][0] is not None:  # 0 + lead, as sum() begins: once per distinct lead
            unique, pick = first_index([slot[lead] for lead, _ in shapes])
            leads = gather(unique, "V", ns, f"_lead{k}")
            bind(ns, f"_pickL{k}", getter(pick))
            start = f"_pickL{k}(list(map(_op_add, _repeat(0), {leads})))"
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
